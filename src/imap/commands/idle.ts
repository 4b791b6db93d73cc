// IDLE (RFC 2177): "+ idling", then changes other sessions commit are pushed as they happen — EXISTS, EXPUNGE
// (IDLE is a command in progress, so RFC 3501 §7.4.1 allows it) and FETCH FLAGS — until the client sends DONE.
// The process's mailbox cache wakes the session (watch.ts); a process-wide ticker sends `* OK Still here`
// (keepalive.ts). While idling the session holds its view, its socket and two closures, nothing per message.
import type { IdleCommand } from '../command.js';
import type { Handler } from '../session/context.js';
import { done } from '../session/context.js';
import { bad } from '../response-codes.js';
import { catchUp } from '../session/freshness.js';
import { updateResponse } from '../session/updates.js';
import { claimRecent } from '../session/recent.js';
import type { ReaderEvent } from '../parser/command-reader.js';

export const idle: Handler<IdleCommand> = async (_command, ctx) => {
  const ticker = ctx.deps.keepalive;
  if (!ctx.deps.mailboxes || !ticker) throw bad('IDLE is not supported');
  const { out, state, reader } = ctx;
  const view = state.view;
  reader.expectRawLine();
  await out.continuation('idling');

  // Writes are chained so pushed updates and keepalives never interleave; a failed write ends the chain quietly
  // (the socket is gone, and the DONE wait below then sees the end of input).
  let sending: Promise<void> = Promise.resolve();
  const queue = (write: () => Promise<void>) => {
    sending = sending.then(write).catch(() => undefined);
  };
  const push = () => {
    if (!view || state.view !== view || !view.hasPending) return;
    queue(async () => {
      // New arrivals are claimed as \Recent before they are announced (session/recent.ts).
      await claimRecent(ctx, view);
      for (const update of view.flush(true)) await out.send(updateResponse(update));
    });
  };
  let interrupt: () => void = () => undefined;
  const interrupted = new Promise<{ kind: 'interrupted' }>((resolve) => {
    interrupt = () => resolve({ kind: 'interrupted' });
  });
  state.onViewChange = push;
  state.interruptIdle = interrupt;
  const stopKeepalive = ticker.add(() => queue(() => out.untaggedStatus('OK', 'Still here')));
  let event: ReaderEvent | { kind: 'interrupted' };
  try {
    const next = reader.next();
    // Entering IDLE is a freshness point (storage-design §C5): whatever committed before now is sent at once.
    if (view) {
      try {
        await catchUp(ctx, view);
      } catch (err) {
        // Not fatal: the DONE read is already pending, and the cache's hints and poll still reach the view.
        ctx.deps.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'IDLE catch-up failed');
      }
      push();
    }
    event = await Promise.race([next, interrupted]);
  } finally {
    state.onViewChange = null;
    state.interruptIdle = null;
    stopKeepalive();
    await sending;
  }
  if (event.kind === 'interrupted') return done('IDLE terminated by the server');
  if (event.kind === 'line' && event.text.trim().toUpperCase() === 'DONE') return done('IDLE terminated');
  if (event.kind === 'end') return done('IDLE ended: connection closed');
  throw bad('Expected DONE');
};
