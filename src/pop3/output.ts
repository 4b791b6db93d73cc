// The only way out to the socket: status lines, multi-line listings and streamed bodies, with backpressure (a write
// waits for 'drain'), so a slow client holds one chunk at a time rather than a whole message.
import type { Socket } from 'node:net';
import { stuffLine } from './dot-stuffer.js';

export class Output {
  constructor(private readonly socket: Socket) {}

  get isClosed(): boolean {
    return this.socket.destroyed || !this.socket.writable;
  }

  write(data: string | Buffer): Promise<void> {
    if (this.isClosed) return Promise.reject(new Error('connection closed'));
    return new Promise((resolve, reject) => {
      const flushed = this.socket.write(data);
      if (flushed) {
        resolve();
        return;
      }
      const onDrain = () => {
        this.socket.off('close', onClose);
        resolve();
      };
      const onClose = () => {
        this.socket.off('drain', onDrain);
        reject(new Error('connection closed'));
      };
      this.socket.once('drain', onDrain);
      this.socket.once('close', onClose);
    });
  }

  ok(text: string): Promise<void> {
    return this.write(`+OK${text ? ` ${text.replace(/[\r\n]+/g, ' ')}` : ''}\r\n`);
  }

  /** "+OK text", the lines (byte-stuffed), then ".". */
  multiline(text: string, lines: readonly string[]): Promise<void> {
    return this.write(`+OK ${text}\r\n${lines.map(stuffLine).join('')}.\r\n`);
  }

  /** A SASL challenge (RFC 5034 §4): "+ " and base64, or "+ " alone for an empty one. */
  challenge(data: string): Promise<void> {
    return this.write(`+ ${data === '' ? '' : Buffer.from(data, 'utf8').toString('base64')}\r\n`);
  }

  async end(): Promise<void> {
    if (this.isClosed) return;
    await new Promise<void>((resolve) => this.socket.end(resolve));
  }
}
