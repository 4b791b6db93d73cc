// MOVE and UID MOVE (RFC 6851). The store moves hot items in transactions of ≤48 messages, each over both mailboxes
// (src/mailstore/move.ts). Per request: `* OK [COPYUID …]` first (RFC 6851 §4.3), then `* n EXPUNGE` for each moved
// message (highest sequence number first; VANISHED under QRESYNC), and the tagged OK last.
import type { CopyMoveCommand } from '../command.js';
import type { Handler } from '../session/context.js';
import { done, selectedView } from '../session/context.js';
import { bad, no } from '../response-codes.js';
import { storePath } from '../session/mailbox-names.js';
import { utf8Names } from '../session/revision.js';
import { catchUp, ownCommitElsewhere, takeOwnCommit } from '../session/freshness.js';
import { expungeData, statusResponse, vanishedData } from '../encoder.js';

const REQUEST_UIDS = 10_000;

export const move: Handler<CopyMoveCommand> = async (command, ctx) => {
  const view = selectedView(ctx);
  const { rows, outOfRange } = view.resolve(command.set, command.uid);
  if (outOfRange) throw bad('Invalid message sequence number');
  if (view.readOnly) throw no('READ-ONLY', 'Mailbox is read-only');
  const to = storePath(command.mailbox, utf8Names(ctx.state.enabled));
  // RFC 6851 leaves MOVE into the selected mailbox open; like Dovecot it is refused (COPY there is fine).
  if (to === view.path) throw no('CANNOT', "Can't move messages within the same mailbox");
  const uids = rows.map((r) => r.uid);
  for (let i = 0; i < uids.length; i += REQUEST_UIDS) {
    const result = await ctx.deps.store.call('message.move', {
      token: ctx.state.token,
      mailboxId: view.mailboxId,
      uids: uids.slice(i, i + REQUEST_UIDS),
      to,
    });
    const seqs = view.removeNow(result.source);
    // Before anything is written (the commits' hints are looked at one turn later): the process's copies of both
    // mailboxes and their other sessions take the commits in without a log read (freshness.ts takeOwnCommit).
    ownCommitElsewhere(ctx, result.destinationChange);
    const behind = result.sourceModseq > 0 && takeOwnCommit(ctx, view, result.sourceModseq, result.sourceChange);
    if (result.source.length > 0) {
      const code = { code: 'COPYUID', uidValidity: result.uidValidity, source: result.source, destination: result.destination } as const;
      await ctx.out.send(statusResponse(null, 'OK', 'Moved', code));
    }
    // RFC 7162 §3.2.10 / RFC 6851 §4.3: with QRESYNC enabled the moved messages are announced as VANISHED.
    if (view.vanishes) {
      if (result.source.length > 0) await ctx.out.send(vanishedData(result.source, false));
    } else for (const seq of seqs) await ctx.out.send(expungeData(seq));
    if (behind) await catchUp(ctx, view);
  }
  return done(`${command.uid ? 'UID MOVE' : 'MOVE'} completed`);
};
