// COMPRESS=DEFLATE (RFC 4978) over real TCP: a raw client that deflates its commands and inflates the answers
// itself (plain and after STARTTLS), and imapflow, which turns compression on by itself when it is advertised.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { constants, createDeflateRaw, createInflateRaw, type DeflateRaw } from 'node:zlib';
import { startFixture, type Fixture } from './fixture.js';

/** A line client whose transport can be upgraded to TLS and then to DEFLATE. */
class Client {
  private text = '';
  private waiters: (() => void)[] = [];
  private deflate: DeflateRaw | undefined;
  /** Bytes the server sent after COMPRESS (compressed, as they came off the wire). */
  wireBytes = 0;
  closed = false;

  constructor(private socket: net.Socket) {
    this.listen(socket);
  }

  static async connect(port: number): Promise<Client> {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const client = new Client(socket);
    await client.until((t) => t.endsWith('\r\n'));
    return client;
  }

  private listen(source: NodeJS.ReadableStream): void {
    source.on('data', (chunk: Buffer) => {
      this.text += chunk.toString('latin1');
      for (const w of this.waiters.splice(0)) w();
    });
    source.on('close', () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w();
    });
    source.on('error', () => undefined);
  }

  async until(done: (text: string) => boolean): Promise<string> {
    while (!done(this.text)) {
      if (this.closed) throw new Error(`closed; received ${JSON.stringify(this.text)}`);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    const text = this.text;
    this.text = '';
    return text;
  }

  write(data: string): void {
    if (!this.deflate) {
      this.socket.write(data);
      return;
    }
    this.deflate.write(Buffer.from(data, 'utf8'));
    this.deflate.flush(constants.Z_SYNC_FLUSH);
  }

  command(tag: string, line: string): Promise<string> {
    this.write(`${tag} ${line}\r\n`);
    return this.until((t) => new RegExp(`(^|\\r\\n)${tag} (OK|NO|BAD)[^\\r\\n]*\\r\\n$`).test(t));
  }

  async startTls(): Promise<void> {
    this.socket.removeAllListeners('data');
    const secure = tls.connect({ socket: this.socket, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => secure.once('secureConnect', resolve).once('error', reject));
    this.socket = secure;
    this.listen(secure);
  }

  /** From now on both directions are raw DEFLATE (the client's side of RFC 4978). */
  compress(): void {
    this.socket.removeAllListeners('data');
    this.socket.removeAllListeners('close');
    const inflate = createInflateRaw();
    this.socket.on('data', (chunk: Buffer) => {
      this.wireBytes += chunk.length;
      inflate.write(chunk);
    });
    this.socket.on('close', () => inflate.end());
    this.listen(inflate);
    this.deflate = createDeflateRaw();
    this.deflate.pipe(this.socket);
  }

  close(): void {
    this.socket.destroy();
  }
}

describe('COMPRESS=DEFLATE', () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture();
  });
  after(async () => fx.close());

  it('is refused before login and for other algorithms; after OK both directions are deflated', async () => {
    const c = await Client.connect(fx.port);
    assert.match(await c.command('a1', 'CAPABILITY'), / COMPRESS=DEFLATE /);
    assert.equal(await c.command('a2', 'COMPRESS DEFLATE'), 'a2 BAD COMPRESS: Log in first\r\n');
    await c.command('a3', `LOGIN ${fx.user} "${fx.password}"`);
    assert.equal(await c.command('a4', 'COMPRESS GZIP'), 'a4 BAD Unknown compression mechanism GZIP\r\n');
    assert.equal(await c.command('a5', 'COMPRESS DEFLATE'), 'a5 OK DEFLATE active\r\n');
    c.compress();
    assert.equal(await c.command('a6', 'COMPRESS DEFLATE'), 'a6 NO [COMPRESSIONACTIVE] DEFLATE active via COMPRESS\r\n');
    const body = `Subject: compressed\r\n\r\n${'All work and no play makes Jack a dull boy.\r\n'.repeat(400)}`;
    c.write(`a7 APPEND INBOX {${body.length}}\r\n`);
    assert.match(await c.until((t) => t.endsWith('\r\n')), /^\+ /);
    c.write(`${body}\r\n`);
    assert.match(await c.until((t) => /a7 (OK|NO|BAD)[^\r\n]*\r\n$/.test(t)), /^a7 OK \[APPENDUID \d+ 1\] /);
    assert.match(await c.command('a8', 'SELECT INBOX'), /\* 1 EXISTS\r\n/);
    const before = c.wireBytes;
    const fetched = await c.command('a9', 'FETCH 1 BODY.PEEK[]');
    assert.ok(fetched.includes(`{${body.length}}\r\n${body})\r\n`));
    // The repeated text crosses the wire at a small fraction of its size.
    assert.ok(c.wireBytes - before < body.length / 10, `${c.wireBytes - before} compressed bytes for ${body.length}`);
    const bye = await c.command('a10', 'LOGOUT');
    assert.match(bye, /^\* BYE .*\r\na10 OK /);
    await c.until(() => c.closed);
  });

  it('bytes that do not inflate end that connection only', async () => {
    const c = await Client.connect(fx.port);
    await c.command('g1', `LOGIN ${fx.user} "${fx.password}"`);
    assert.equal(await c.command('g2', 'COMPRESS DEFLATE'), 'g2 OK DEFLATE active\r\n');
    c.write('g3 NOOP\r\n'); // not deflated: an invalid DEFLATE block
    await c.until(() => c.closed);
    const other = await Client.connect(fx.port);
    assert.match(await other.command('h1', 'NOOP'), /^h1 OK /);
    other.close();
  });

  it('imapflow negotiates COMPRESS by itself and works through it', async () => {
    const flow = await fx.connect();
    const lock = await flow.getMailboxLock('INBOX');
    try {
      const message = await flow.fetchOne('1', { source: true, envelope: true });
      assert.ok(message);
      assert.equal(message.envelope?.subject, 'compressed');
      assert.match(message.source?.toString('latin1') ?? '', /Jack a dull boy/);
    } finally {
      lock.release();
    }
    await flow.logout();
  });
});

describe('COMPRESS after STARTTLS', () => {
  it('compresses inside TLS (RFC 4978 §3: compress, then encrypt)', async () => {
    const fx = await startFixture({ allowPlaintextAuth: false });
    try {
      const c = await Client.connect(fx.port);
      assert.match(await c.command('t1', 'STARTTLS'), /^t1 OK /m);
      await c.startTls();
      assert.match(await c.command('t2', `LOGIN ${fx.user} "${fx.password}"`), /^t2 OK /);
      assert.equal(await c.command('t3', 'COMPRESS DEFLATE'), 't3 OK DEFLATE active\r\n');
      c.compress();
      assert.equal(await c.command('t4', 'LIST "" INBOX'), '* LIST (\\HasNoChildren) "/" "INBOX"\r\nt4 OK LIST completed\r\n');
      assert.match(await c.command('t5', 'NOOP'), /^t5 OK /);
      c.close();
    } finally {
      await fx.close();
    }
  });
});
