// A bare TCP POP3 client for wire-level tests: send exact bytes, read exact answers (latin1, so bytes stay bytes).
import net from 'node:net';
import tls from 'node:tls';

export class RawPop3 {
  private buffer = '';
  private waiters: (() => void)[] = [];
  closed = false;
  greeting = '';

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

  static async connect(port: number): Promise<RawPop3> {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const client = new RawPop3(socket);
    client.greeting = await client.line();
    return client;
  }

  /** POP3S: TLS from the first byte (the server's certificate is self-signed: not verified). */
  static async connectTls(port: number): Promise<RawPop3> {
    const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', reject);
    });
    const client = new RawPop3(socket);
    client.greeting = await client.line();
    return client;
  }

  /** After STLS's +OK: hands the plain socket to a TLS client handshake; the returned client continues on it. */
  async upgrade(): Promise<RawPop3> {
    const plain = this.socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('close');
    const secure = tls.connect({ socket: plain, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', resolve);
      secure.once('error', reject);
    });
    return new RawPop3(secure);
  }

  /** What has arrived and not been read yet. */
  get pending(): string {
    return this.buffer;
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private async until(length: (text: string) => number): Promise<string> {
    for (;;) {
      const n = length(this.buffer);
      if (n >= 0) {
        const out = this.buffer.slice(0, n);
        this.buffer = this.buffer.slice(n);
        return out;
      }
      if (this.closed) throw new Error(`connection closed; received so far: ${JSON.stringify(this.buffer)}`);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** One status line, without its CRLF. */
  async line(): Promise<string> {
    const text = await this.until((t) => {
      const i = t.indexOf('\r\n');
      return i < 0 ? -1 : i + 2;
    });
    return text.slice(0, -2);
  }

  /** A status line and, if it is +OK, the multi-line body up to and including "\r\n.\r\n" (returned raw). */
  async multi(): Promise<{ status: string; body: string }> {
    const status = await this.line();
    if (!status.startsWith('+OK')) return { status, body: '' };
    const body = await this.until((t) => {
      if (t.startsWith('.\r\n')) return 3;
      const i = t.indexOf('\r\n.\r\n');
      return i < 0 ? -1 : i + 5;
    });
    return { status, body };
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  async command(line: string): Promise<string> {
    this.write(`${line}\r\n`);
    return this.line();
  }

  async multiCommand(line: string): Promise<{ status: string; body: string }> {
    this.write(`${line}\r\n`);
    return this.multi();
  }

  async login(user: string, password: string): Promise<string> {
    const ok = await this.command(`USER ${user}`);
    if (!ok.startsWith('+OK')) return ok;
    return this.command(`PASS ${password}`);
  }

  async waitClosed(): Promise<void> {
    while (!this.closed) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Undoes RFC 1939 byte-stuffing of a multi-line body (which ends in "\r\n.\r\n" or is just ".\r\n"). */
export function unstuff(body: string): string {
  const content = body === '.\r\n' ? '' : body.slice(0, -3);
  return content.replace(/(^|\r\n)\./g, '$1');
}

/** Lines of a multi-line listing. */
export function listing(body: string): string[] {
  return unstuff(body).split('\r\n').filter((l) => l !== '');
}
