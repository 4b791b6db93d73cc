// SELECT / EXAMINE (RFC 3501 §6.3.1, §6.3.2): loads the view with one `mailbox.open` and reports the mailbox.
// A failed SELECT leaves no mailbox selected (§6.3.1). CONDSTORE/QRESYNC (RFC 7162): HIGHESTMODSEQ always (every
// mailbox has mod-sequences, §3.1.2.1), `(CONDSTORE)` enables CONDSTORE, `* OK [CLOSED]` when another mailbox was
// selected (§3.2.11), and `(QRESYNC (uidvalidity modseq [known-uids [seq-match]]))` answers with
// `* VANISHED (EARLIER)` and the FETCH of every message changed since (§3.2.5). A rev1 SELECT claims \Recent
// (session/recent.ts); a rev2 session gets the mailbox's LIST instead of RECENT and UNSEEN (RFC 9051 §6.3.2).
import type { SelectCommand } from '../command.js';
import type { Handler } from '../session/context.js';
import { done } from '../session/context.js';
import { MailboxView } from '../session/mailbox-view.js';
import { DELIMITER, storePath } from '../session/mailbox-names.js';
import { isRev2, isUidOnly, utf8Names } from '../session/revision.js';
import { claimRecent } from '../session/recent.js';
import { listRows } from '../session/list-rows.js';
import type { CommandContext } from '../session/context.js';
import { FLAG_SEEN } from '../../mailstore/flags.js';
import { bad } from '../response-codes.js';
import { existsData, fetchResponse, flagsData, listData, recentData, statusResponse, vanishedData } from '../encoder.js';
import type { FetchValue } from '../encoder.js';
import { watchSelected } from '../session/watch.js';
import { enableCondstore, uidSetMember, vanishedSince } from '../session/condstore.js';
import { sequenceSetHas } from '../types.js';
import { mailboxObjectId } from '../wire/object-id.js';

export const select: Handler<SelectCommand> = async (command, ctx) => {
  // §3.2.5: QRESYNC parameters without ENABLE QRESYNC are a BAD (and, being a BAD, leave the selection alone).
  if (command.qresync && !ctx.state.enabled.has('QRESYNC')) throw bad('QRESYNC is not enabled');
  const wasSelected = ctx.state.view !== null;
  ctx.state.deselect();
  const out = ctx.out;
  if (wasSelected) await out.untaggedStatus('OK', 'Previous mailbox closed', 'CLOSED');
  if (command.condstore) enableCondstore(ctx);
  let readOnly = command.name === 'EXAMINE';
  const path = storePath(command.mailbox, utf8Names(ctx.state.enabled));
  const token = ctx.state.token;
  // The process's mailbox cache answers a mailbox it has seen from its snapshot plus the log tail (mailbox-cache.ts).
  const cache = ctx.deps.mailboxes;
  const opened = cache ? await cache.open(ctx.state.user!.login, token, path) : await ctx.deps.store.call('mailbox.open', { token, path });
  // RFC 4314 §5.2: READ-ONLY unless one of i, e, s, w, t is granted (the store answers the caller's rights).
  if (opened.rights !== undefined && !/[iewst]/.test(opened.rights)) readOnly = true;
  const view = new MailboxView(opened, readOnly, ctx.state.enabled);
  const rev2 = isRev2(ctx.state.enabled);
  // RFC 3501 §6.3.1: SELECT (not EXAMINE) takes the messages no session has seen yet as \Recent (session/recent.ts).
  await claimRecent(ctx, view, view.uidNext);
  // The untagged answers are gathered and written together (one write, not one per line).
  let text = flagsData(view.flagList());
  // \* : clients may create keywords (§7.1 PERMANENTFLAGS); nothing is permanent in a read-only mailbox.
  text += statusResponse(null, 'OK', 'Flags permitted', { code: 'PERMANENTFLAGS', flags: readOnly ? [] : [...view.flagList(), '\\*'] });
  text += existsData(view.count);
  // RFC 9051 §6.3.2: rev2 requires the mailbox's LIST and has no RECENT; UNSEEN is deprecated (Appendix E 10–12).
  if (rev2) text += await selectedListData(ctx, view.path);
  else text += recentData(view.recentCount);
  // RFC 9586 §3: no sequence numbers in any response under UIDONLY, so no [UNSEEN n] either.
  const uidOnly = isUidOnly(ctx.state.enabled);
  for (let i = 0; i < view.count && !rev2 && !uidOnly; i++) {
    if (!(view.bitsAt(i) & FLAG_SEEN)) {
      text += statusResponse(null, 'OK', 'First unseen message', { code: 'UNSEEN', value: i + 1 });
      break;
    }
  }
  text += statusResponse(null, 'OK', 'UIDs valid', { code: 'UIDVALIDITY', value: view.uidValidity });
  text += statusResponse(null, 'OK', 'Predicted next UID', { code: 'UIDNEXT', value: view.uidNext });
  text += statusResponse(null, 'OK', 'Highest mailbox mod-sequence', { code: 'HIGHESTMODSEQ', value: view.modseq });
  // RFC 8474 §4.2: "MUST return an untagged OK response with the MAILBOXID response code on all successful SELECT".
  text += statusResponse(null, 'OK', 'Mailbox id', { code: 'MAILBOXID', id: mailboxObjectId(view.mailboxId) });
  await out.send(text);
  ctx.state.select(view);
  watchSelected(ctx, view);

  const q = command.qresync;
  // §3.2.5: with another UIDVALIDITY the remaining parameters are ignored, as if nothing changed.
  if (q && q.uidValidity === view.uidValidity && q.modSeq < view.modseq) {
    const known = q.knownUids;
    const within = known ? uidSetMember(known, view) : () => true;
    const gone = await vanishedSince(ctx, view, q.modSeq, within, q.seqMatch);
    if (gone.length > 0) await out.send(vanishedData(gone, true));
    const maxUid = view.uidNext - 1;
    for (let i = 0; i < view.count; i++) {
      const uid = view.uidAt(i);
      if (view.modseqAt(i) <= q.modSeq || (known && !sequenceSetHas(known, uid, maxUid))) continue;
      const values: FetchValue[] = [
        { name: 'UID', uid },
        { name: 'FLAGS', flags: view.flagsAt(i) },
        { name: 'MODSEQ', modSeq: view.modseqAt(i) },
      ];
      await out.send(uidOnly ? fetchResponse(uid, values.slice(1), true) : fetchResponse(i + 1, values));
    }
  }
  return done(`${command.name} completed`, readOnly ? 'READ-ONLY' : 'READ-WRITE');
};

/** The untagged LIST of the selected mailbox, attributes as LIST gives them (RFC 9051 §6.3.2 "MUST be accurate"). */
async function selectedListData(ctx: CommandContext, path: string): Promise<string> {
  const { mailboxes } = await ctx.deps.store.call('mailbox.list', { token: ctx.state.token });
  const row = listRows(mailboxes, (e) => e.mailboxId !== null).get(path);
  return listData({ attributes: row?.attributes ?? [], delimiter: DELIMITER, mailbox: path }, 'LIST', true);
}
