// IDLE (RFC 2177): "+ idling", then changes other sessions commit are pushed as they happen — EXISTS, EXPUNGE
// (IDLE is a command in progress, so RFC 3501 §7.4.1 allows it) and FETCH FLAGS — until the client sends DONE.
// The process's mailbox cache wakes the session (watch.ts); a process-wide ticker sends `* OK Still here`
// (keepalive.ts); the process-wide autologout clock watches for inactivity (autologout.ts). While idling the session
// holds its view, its socket and one Idling object, nothing per message and no timer of its own.
//
// The fan-out of one hint to N idling sessions (issue 5): the cache hands the log entries to every view in batches
// (mailbox-cache.ts); a view with news and nothing in flight writes its updates right away, synchronously, with
// bytes shared by every session that announces the same `* k EXISTS` (updates.ts) — no promise chain per session,
// so the first clients have their bytes before the last views are even visited.
import type { IdleCommand } from '../command.js';
import type { CommandContext, Handler } from '../session/context.js';
import { done } from '../session/context.js';
import { bad } from '../response-codes.js';
import { catchUp } from '../session/freshness.js';
import { existsRecentBytes, updateBytes } from '../session/updates.js';
import { claimRecent, recentSettledHere } from '../session/recent.js';
import type { ReaderEvent } from '../parser/command-reader.js';
import type { MailboxView } from '../session/mailbox-view.js';
import type { KeepaliveTarget } from '../session/keepalive.js';
import type { ResponsePiece } from '../encoder.js';

type IdleEnd = ReaderEvent | { kind: 'interrupted' };

const STILL_HERE = Buffer.from('* OK Still here\r\n', 'latin1');

export const idle: Handler<IdleCommand> = async (_command, ctx) => {
  const ticker = ctx.deps.keepalive;
  if (!ctx.deps.mailboxes || !ticker) throw bad('IDLE is not supported');
  const { out, state, reader } = ctx;
  const view = state.view;
  reader.expectRawLine();
  await out.continuation('idling');

  const idling = new Idling(ctx, view);
  // Asked before the catch-up below, so a DONE the client sends meanwhile is seen.
  const ended = idling.untilEnd();
  state.onViewChange = idling.push;
  state.interruptIdle = idling.interrupt;
  ticker.add(idling);
  let event: IdleEnd;
  try {
    // Entering IDLE is a freshness point (storage-design §C5): whatever committed before now is sent at once.
    if (view) {
      try {
        await catchUp(ctx, view);
      } catch (err) {
        // Not fatal: the DONE read is already pending, and the cache's hints and poll still reach the view.
        ctx.deps.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'IDLE catch-up failed');
      }
      idling.push();
    }
    event = await ended;
  } finally {
    state.onViewChange = null;
    state.interruptIdle = null;
    ticker.remove(idling);
    await idling.settled();
  }
  if (event.kind === 'interrupted') return done('IDLE terminated by the server');
  if (event.kind === 'line' && event.text.trim().toUpperCase() === 'DONE') return done('IDLE terminated');
  if (event.kind === 'end') return done('IDLE ended: connection closed');
  throw bad('Expected DONE');
};

/** One session in IDLE: what it pushes, and how its wait ends (DONE, end of input, or the server's interrupt). */
class Idling implements KeepaliveTarget {
  /**
   * Writes that had to wait (a \Recent claim from the store, a socket with no room) are chained so pushed updates
   * and keepalives never interleave; null when nothing is in flight, and then writes go out synchronously.
   */
  private sending: Promise<void> | null = null;
  private finish: ((end: IdleEnd) => void) | null = null;

  constructor(
    private readonly ctx: CommandContext,
    private readonly view: MailboxView | null,
  ) {}

  untilEnd(): Promise<IdleEnd> {
    return new Promise<IdleEnd>((resolve) => {
      this.finish = resolve;
      this.ctx.reader.next().then(resolve, () => resolve({ kind: 'end' }));
    });
  }

  /** `state.interruptIdle`: the server ends IDLE (shutdown). */
  readonly interrupt = (): void => {
    this.finish?.({ kind: 'interrupted' });
  };

  /** `state.onViewChange`: the view has queued changes to send now. */
  readonly push = (): void => {
    const { view, ctx } = this;
    if (!view || ctx.state.view !== view || !view.hasPending) return;
    // NOTIFY without SELECTED: no message events for the selected mailbox during IDLE either (RFC 5465 §4).
    const notify = ctx.state.notify;
    if (notify?.holdsSelected) return;
    // New arrivals are claimed as \Recent before they are announced (session/recent.ts); when that needs no store
    // call, the updates are written in this very call.
    if (this.sending === null && recentSettledHere(ctx, view) && !notify?.fetchesNew) {
      const updates = view.flush(true);
      // The common cases, `* k EXISTS` (rev2) or `* k EXISTS` + `* r RECENT` (rev1), shared by every session
      // announcing the same counts: written as they are.
      if (updates.length === 1) return ctx.out.sendNow(updateBytes(updates[0]!));
      const pair = existsRecentBytes(updates);
      if (pair) return ctx.out.sendNow(pair);
      // One write (one syscall) for all of them: `* k EXISTS` and `* k RECENT` go out together.
      const pieces: ResponsePiece[] = [];
      for (const update of updates) {
        const bytes = updateBytes(update);
        if (typeof bytes === 'string' || Buffer.isBuffer(bytes)) pieces.push(bytes);
        else pieces.push(...bytes);
      }
      if (pieces.length > 0) ctx.out.sendNow(pieces);
      return;
    }
    // With nothing queued ahead the claim would start on the next microtask anyway; starting it here records this
    // process's claim at once (its synchronous part, session/recent.ts), so the sessions after this one in the same
    // delivery batch take the synchronous path above instead of each queueing an asynchronous write.
    const claim = this.sending === null ? claimRecent(ctx, view) : null;
    this.queue(async () => {
      await (claim ?? claimRecent(ctx, view));
      const before = view.count > 0 ? view.uidAt(view.count - 1) : 0;
      for (const update of view.flush(true)) await ctx.out.send(updateBytes(update));
      await notify?.afterFlush(ctx, view, before, false); // NOTIFY MessageNew's FETCH attributes (RFC 5465 §5.2)
    });
  };

  keepalive(): void {
    if (this.sending === null) this.ctx.out.sendNow(STILL_HERE);
    else this.queue(() => this.ctx.out.send(STILL_HERE));
  }

  /** Resolves once every queued write has been made (or has failed: the socket is gone, DONE then sees the end). */
  settled(): Promise<void> {
    return this.sending ?? Promise.resolve();
  }

  private queue(write: () => Promise<void>): void {
    const chain: Promise<void> = (this.sending ?? Promise.resolve())
      .then(write)
      .catch(() => undefined)
      .then(() => {
        if (this.sending === chain) this.sending = null;
      });
    this.sending = chain;
  }
}
