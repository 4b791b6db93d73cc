// SELECT / EXAMINE (RFC 3501 §6.3.1, §6.3.2): loads the view with one `mailbox.open` and reports the mailbox.
// A failed SELECT leaves no mailbox selected (§6.3.1). CONDSTORE/QRESYNC (RFC 7162): HIGHESTMODSEQ always (every
// mailbox has mod-sequences, §3.1.2.1), `(CONDSTORE)` enables CONDSTORE, `* OK [CLOSED]` when another mailbox was
// selected (§3.2.11), and `(QRESYNC (uidvalidity modseq [known-uids [seq-match]]))` answers with
// `* VANISHED (EARLIER)` and the FETCH of every message changed since (§3.2.5).
import type { SelectCommand } from '../command.js';
import type { Handler } from '../session/context.js';
import { done } from '../session/context.js';
import { MailboxView } from '../session/mailbox-view.js';
import { storePath } from '../session/mailbox-names.js';
import { FLAG_SEEN } from '../../mailstore/flags.js';
import { bad } from '../response-codes.js';
import { existsData, fetchResponse, flagsData, recentData, vanishedData } from '../encoder.js';
import { watchSelected } from '../session/watch.js';
import { enableCondstore, uidSetMember, vanishedSince } from '../session/condstore.js';
import { sequenceSetHas } from '../types.js';

export const select: Handler<SelectCommand> = async (command, ctx) => {
  // §3.2.5: QRESYNC parameters without ENABLE QRESYNC are a BAD (and, being a BAD, leave the selection alone).
  if (command.qresync && !ctx.state.enabled.has('QRESYNC')) throw bad('QRESYNC is not enabled');
  const wasSelected = ctx.state.view !== null;
  ctx.state.deselect();
  const out = ctx.out;
  if (wasSelected) await out.untaggedStatus('OK', 'Previous mailbox closed', 'CLOSED');
  if (command.condstore) enableCondstore(ctx);
  const readOnly = command.name === 'EXAMINE';
  const opened = await ctx.deps.store.call('mailbox.open', { token: ctx.state.token, path: storePath(command.mailbox) });
  const view = new MailboxView(opened, readOnly, ctx.state.enabled);
  await out.send(flagsData(view.flagList()));
  // \* : clients may create keywords (§7.1 PERMANENTFLAGS); nothing is permanent in a read-only mailbox.
  await out.untaggedStatus('OK', 'Flags permitted', { code: 'PERMANENTFLAGS', flags: readOnly ? [] : [...view.flagList(), '\\*'] });
  await out.send(existsData(view.count));
  await out.send(recentData(view.recentCount));
  for (let i = 0; i < view.count; i++) {
    if (!(view.bitsAt(i) & FLAG_SEEN)) {
      await out.untaggedStatus('OK', 'First unseen message', { code: 'UNSEEN', value: i + 1 });
      break;
    }
  }
  await out.untaggedStatus('OK', 'UIDs valid', { code: 'UIDVALIDITY', value: view.uidValidity });
  await out.untaggedStatus('OK', 'Predicted next UID', { code: 'UIDNEXT', value: view.uidNext });
  await out.untaggedStatus('OK', 'Highest mailbox mod-sequence', { code: 'HIGHESTMODSEQ', value: view.modseq });
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
      await out.send(
        fetchResponse(i + 1, [
          { name: 'UID', uid },
          { name: 'FLAGS', flags: view.flagsAt(i) },
          { name: 'MODSEQ', modSeq: view.modseqAt(i) },
        ]),
      );
    }
  }
  return done(`${command.name} completed`, readOnly ? 'READ-ONLY' : 'READ-WRITE');
};
