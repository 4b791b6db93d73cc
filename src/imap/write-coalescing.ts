// Response batching for src/imap/connection.ts: the responses of one command leave in one system call.
import type { Duplex } from 'node:stream';

/**
 * Holds a command's responses in the stream (cork) and hands them to the socket together: one write(v) system
 * call per command instead of one per response line. On a busy machine each write to a socket costs more CPU than
 * answering a small command (bench/RESULTS.md, issue #8). Whatever one turn of the event loop wrote goes out at the
 * end of that turn (setImmediate), so a command waiting for the client (an APPEND continuation, IDLE) or for
 * 'drain' (a large FETCH: a corked stream never drains) is never held up; after a turn that wrote nothing the
 * stream stays uncorked, so nothing is scheduled while a command merely waits. Returns the flush, idempotent.
 */
export function coalesceWrites(stream: Duplex): () => void {
  let corked = true;
  stream.cork();
  // What was queued before this turn (a slow reader's backlog) is not a write of this turn.
  let queued = stream.writableLength;
  let turn: NodeJS.Immediate | undefined;
  const endOfTurn = (): void => {
    turn = undefined;
    if (!corked) return;
    const wrote = stream.writableLength > queued;
    stream.uncork();
    if (!wrote || stream.destroyed) {
      corked = false;
      return;
    }
    stream.cork();
    queued = stream.writableLength;
    turn = setImmediate(endOfTurn);
  };
  turn = setImmediate(endOfTurn);
  return () => {
    if (turn !== undefined) clearImmediate(turn);
    turn = undefined;
    if (!corked) return;
    corked = false;
    stream.uncork();
  };
}
