// A minimal LMTP client over a raw socket (RFC 2033), for bench/lmtp-load.ts and test/lmtp: it sends exactly what
// it is told and returns the replies as they arrive, one reply (which may span lines) at a time.
import { connect, type Socket } from 'node:net';

export interface LmtpReply {
  code: number;
  /** Every line of the reply, without CRLF. */
  lines: string[];
  /** The last line, e.g. "250 2.0.0 <a@example.com> delivered …". */
  text: string;
}

export class LmtpClient {
  private buffer = '';
  private readonly replies: LmtpReply[] = [];
  private waiter: (() => void) | undefined;
  private pending: string[] = [];
  private closed = false;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      let nl: number;
      while ((nl = this.buffer.indexOf('\r\n')) >= 0) {
        const line = this.buffer.slice(0, nl);
        this.buffer = this.buffer.slice(nl + 2);
        this.pending.push(line);
        if (/^\d{3} /.test(line) || /^\d{3}$/.test(line)) {
          this.replies.push({ code: Number(line.slice(0, 3)), lines: this.pending, text: line });
          this.pending = [];
        }
      }
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  static async open(port: number): Promise<{ client: LmtpClient; greeting: LmtpReply }> {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const client = new LmtpClient(socket);
    return { client, greeting: await client.reply() };
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  /** The next reply; rejects if the server closes the connection first. */
  async reply(): Promise<LmtpReply> {
    while (this.replies.length === 0) {
      if (this.closed) throw new Error('connection closed');
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
    return this.replies.shift()!;
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  async command(line: string): Promise<LmtpReply> {
    this.write(`${line}\r\n`);
    return this.reply();
  }

  /** DATA, the body (dot-stuffed here), the end marker; then one reply per accepted recipient. */
  async data(body: Buffer | string, replies: number): Promise<{ start: LmtpReply; replies: LmtpReply[] }> {
    const start = await this.command('DATA');
    if (start.code !== 354) return { start, replies: [] };
    const text = Buffer.isBuffer(body) ? body.toString('latin1') : body;
    const stuffed = text.replace(/(^|\r\n)\./g, '$1..');
    this.write(Buffer.from(stuffed + (stuffed.endsWith('\r\n') ? '' : '\r\n') + '.\r\n', 'latin1'));
    const out: LmtpReply[] = [];
    for (let i = 0; i < replies; i++) out.push(await this.reply());
    return { start, replies: out };
  }

  get isClosed(): boolean {
    return this.closed;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.socket.end();
    await new Promise<void>((resolve) => {
      if (this.closed) resolve();
      else this.socket.once('close', () => resolve());
    });
  }
}
