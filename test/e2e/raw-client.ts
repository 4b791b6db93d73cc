// A bare TCP IMAP client for wire-level tests: send exact bytes, read until a tagged answer.
import net from 'node:net';

export class RawClient {
  private buffer = '';
  private waiters: (() => void)[] = [];
  closed = false;

  private constructor(readonly socket: net.Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  static async connect(port: number): Promise<RawClient> {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const client = new RawClient(socket);
    await client.until((text) => text.includes('\r\n'));
    return client;
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Waits until `done(all text received so far)` holds; returns the text and clears the buffer. */
  async until(done: (text: string) => boolean): Promise<string> {
    while (!done(this.buffer)) {
      if (this.closed) throw new Error(`connection closed; received so far: ${JSON.stringify(this.buffer)}`);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    const text = this.buffer;
    this.buffer = '';
    return text;
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Sends a command line and returns everything up to and including its tagged answer. */
  async command(tag: string, line: string): Promise<string> {
    this.write(`${tag} ${line}\r\n`);
    return this.until((text) => new RegExp(`(^|\\r\\n)${tag} (OK|NO|BAD)[^\\r\\n]*\\r\\n`).test(text));
  }

  /** APPEND of exact bytes with a synchronizing literal; `options` go between the mailbox and the literal
   * (flags, date-time). Returns everything up to and including the tagged answer. */
  async append(tag: string, mailbox: string, message: string | Buffer, options = ''): Promise<string> {
    const bytes = typeof message === 'string' ? Buffer.from(message, 'latin1') : message;
    this.write(`${tag} APPEND ${mailbox}${options ? ` ${options}` : ''} {${bytes.length}}\r\n`);
    await this.until((t) => t.startsWith('+'));
    this.write(Buffer.concat([bytes, Buffer.from('\r\n')]));
    return this.until((text) => new RegExp(`(^|\\r\\n)${tag} (OK|NO|BAD)[^\\r\\n]*\\r\\n`).test(text));
  }

  async waitClosed(): Promise<void> {
    while (!this.closed) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  close(): void {
    this.socket.destroy();
  }
}
