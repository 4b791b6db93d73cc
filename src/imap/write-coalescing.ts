// Response batching for src/imap/connection.ts: the responses of one command leave in one system call.
import type { Duplex } from 'node:stream';

/**
 * Holds a command's responses in the stream (cork) and hands them to the socket together: one write(v) system
 * call per command instead of one per response line. On a busy machine each write to a socket costs more CPU than
 * answering a small command (bench/RESULTS.md, issue #8). Whatever one turn of the event loop wrote goes out at the
 * end of that turn (setImmediate), so a command waiting for the client (an APPEND continuation, IDLE) or for
 * 'drain' (a large FETCH: a corked stream never drains) is never held up; after a turn that wrote nothing the
 * stream stays uncorked, so nothing is scheduled while a command merely waits.
 *
 * One per stream, reused for every command (`begin` … `flush`): no closures per command, only the end-of-turn
 * Immediate, which `flush` cancels when the command is answered within its first turn.
 */
export class WriteCoalescer {
  private corked = false;
  /** What was queued before this turn (a slow reader's backlog) is not a write of this turn. */
  private queued = 0;
  private turn: NodeJS.Immediate | undefined;
  private readonly endOfTurn = (): void => {
    this.turn = undefined;
    if (!this.corked) return;
    const stream = this.stream;
    const wrote = stream.writableLength > this.queued;
    stream.uncork();
    if (!wrote || stream.destroyed) {
      this.corked = false;
      return;
    }
    stream.cork();
    this.queued = stream.writableLength;
    this.turn = setImmediate(this.endOfTurn);
  };

  constructor(private readonly stream: Duplex) {}

  /** A command starts: cork until `flush`, or until the end of each turn that wrote something. */
  begin(): void {
    if (this.corked) this.flush(); // a begin without its flush: never leave a stream corked twice over
    this.corked = true;
    this.stream.cork();
    this.queued = this.stream.writableLength;
    this.turn = setImmediate(this.endOfTurn);
  }

  /** The command's answer is written: uncork now. Idempotent. */
  flush(): void {
    if (this.turn !== undefined) clearImmediate(this.turn);
    this.turn = undefined;
    if (!this.corked) return;
    this.corked = false;
    this.stream.uncork();
  }
}

/** The function form: corks `stream` now; returns the flush, idempotent. */
export function coalesceWrites(stream: Duplex): () => void {
  const coalescer = new WriteCoalescer(stream);
  coalescer.begin();
  return () => coalescer.flush();
}
