// COPY and UID COPY (RFC 3501 §6.4.7, RFC 4315 §3 COPYUID). The store copies hot items only and answers the UID
// pairs; a missing destination is NO [TRYCREATE] (mapped in response-codes.ts). Copying into the selected mailbox
// makes the view catch up so EXISTS is announced.
import type { CopyMoveCommand } from '../command.js';
import type { Handler } from '../session/context.js';
import { done, selectedView } from '../session/context.js';
import { bad } from '../response-codes.js';
import { storePath } from '../session/mailbox-names.js';
import { utf8Names } from '../session/revision.js';
import { catchUp, ownCommitElsewhere, takeOwnCommit } from '../session/freshness.js';

const REQUEST_UIDS = 10_000;

export const copy: Handler<CopyMoveCommand> = async (command, ctx) => {
  const view = selectedView(ctx);
  if (command.name === 'MOVE') throw bad('MOVE is not supported');
  const { rows, outOfRange } = view.resolve(command.set, command.uid);
  if (outOfRange) throw bad('Invalid message sequence number');
  const to = storePath(command.mailbox, utf8Names(ctx.state.enabled));
  const source: number[] = [];
  const destination: number[] = [];
  let uidValidity = 0;
  // Into the selected mailbox: the view needs the copies (EXISTS); a gap behind them is read from the log.
  let behind = false;
  const uids = rows.map((r) => r.uid);
  for (let i = 0; i < uids.length; i += REQUEST_UIDS) {
    const result = await ctx.deps.store.call('message.copy', {
      token: ctx.state.token,
      mailboxId: view.mailboxId,
      uids: uids.slice(i, i + REQUEST_UIDS),
      to,
    });
    uidValidity = result.uidValidity;
    source.push(...result.source);
    destination.push(...result.destination);
    // The process's copy of the destination and its sessions there take the copies without a log read (mailbox-cache.ts
    // committed); so does this view, when it is the destination and stands right before them (freshness.ts).
    const change = result.change;
    if (to !== view.path) ownCommitElsewhere(ctx, change);
    else if (change === undefined || takeOwnCommit(ctx, view, change.status.highestModseq, change)) behind = true;
  }
  if (behind) await catchUp(ctx, view);
  const name = command.uid ? 'UID COPY' : 'COPY';
  if (source.length === 0) return done(`${name} completed`);
  return done(`${name} completed`, { code: 'COPYUID', uidValidity, source, destination });
};
