// The session's way out to the client: responses built by encoder.ts (the only place they are serialised) are handed
// to its ImapWriter, which keeps them in order and honours socket backpressure. A response that fails half-way
// (a body stream of the wrong length, a socket gone) leaves the client unable to parse what follows, so the
// connection is closed rather than continued.
import type { Duplex } from 'node:stream';
import { ImapWriter, continuation, statusResponse } from '../encoder.js';
import type { ResponseCodeValue, ResponsePiece, Status } from '../encoder.js';

export class Output {
  private readonly writer: ImapWriter;
  private closed = false;

  constructor(private readonly socket: Duplex) {
    this.writer = new ImapWriter(socket);
    socket.once('close', () => {
      this.closed = true;
    });
  }

  get isClosed(): boolean {
    return this.closed || this.socket.destroyed;
  }

  /**
   * Writes at once when nothing of this connection's is queued ahead (ImapWriter.writeNow), else queues it like
   * `send`; either way in order. A write that fails closes the connection, as with `send`.
   */
  sendNow(response: string | Buffer | readonly ResponsePiece[]): void {
    if (this.isClosed || this.writer.writeNow(response)) return;
    this.send(response).catch(() => undefined);
  }

  async send(response: string | Buffer | readonly ResponsePiece[]): Promise<void> {
    if (this.isClosed) return;
    try {
      await this.writer.write(response);
    } catch (err) {
      this.socket.destroy();
      throw err;
    }
  }

  /** `* OK/NO/BAD/BYE [code] text`. */
  untaggedStatus(status: Status, text: string, code?: ResponseCodeValue): Promise<void> {
    return this.send(statusResponse(null, status, text, code));
  }

  tagged(tag: string, status: 'OK' | 'NO' | 'BAD', text: string, code?: ResponseCodeValue): Promise<void> {
    return this.send(statusResponse(tag, status, text, code));
  }

  continuation(text: string): Promise<void> {
    return this.send(continuation(text));
  }

  /** Ends the connection once what was written is flushed; a peer that never reads is cut off after a while. */
  end(): Promise<void> {
    return new Promise((resolve) => {
      if (this.isClosed) return resolve();
      // The usual close (the peer reads the BYE and closes) drops the timer at once rather than leaving one per
      // LOGOUT queued for two seconds.
      const cutOff = setTimeout(() => this.socket.destroy(), 2000).unref();
      this.socket.once('close', () => {
        clearTimeout(cutOff);
        resolve();
      });
      this.socket.end();
    });
  }
}
