// The service as a user runs it: `stratus user add`, then `stratus serve` as a separate process, a real client,
// SIGTERM (clients get BYE, the process exits 0), a restart on the same data directory that serves everything stored.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ImapFlow } from 'imapflow';

const run = promisify(execFile);
const CLI = ['--import', 'tsx', 'src/cli.ts'];

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

interface Served {
  process: ChildProcess;
  output: string[];
  exited: Promise<number | null>;
}

/** Starts `stratus serve` and waits for its "IMAP listening" log line. */
async function serve(env: NodeJS.ProcessEnv): Promise<Served> {
  const child = spawn(process.execPath, [...CLI, 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output.push(chunk.toString('utf8'));
      if (output.join('').includes('IMAP listening')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
    void exited.then((code) => reject(new Error(`stratus serve exited (${code}): ${output.join('')}`)));
  });
  return { process: child, output, exited };
}

describe('stratus serve, as a user runs it', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const raw = Buffer.from(
    'From: Carol <carol@example.org>\r\nTo: dave@example.com\r\nSubject: Kept across restarts\r\n' +
      'Message-ID: <restart@example.org>\r\n\r\nStill here after SIGTERM.\r\n',
  );

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stratus-serve-'));
    env = {
      ...process.env,
      STRATUS_DATA_DIR: dir,
      STRATUS_IMAP_PORT: String(await freePort()),
      STRATUS_ADMIN_PORT: 'off',
      STRATUS_LMTP_PORT: '0',
      STRATUS_POP3_PORT: '0',
      STRATUS_AUTH_FAILURE_DELAY_MS: '10',
    };
    const added = await run(process.execPath, [...CLI, 'user', 'add', 'Dave@Example.com', '--password', 'S3cret'], { env });
    assert.match(added.stdout, /added dave@example\.com/);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('serves, says BYE on SIGTERM, exits 0, and serves the same mail after a restart', async () => {
    const port = Number(env.STRATUS_IMAP_PORT);
    const first = await serve(env);
    const client = new ImapFlow({ host: '127.0.0.1', port, secure: false, logger: false, auth: { user: 'dave@example.com', pass: 'S3cret' } });
    await client.connect();
    const appended = await client.append('INBOX', raw, ['\\Flagged']);
    assert.ok(appended && appended.uid === 1);
    await client.mailboxCreate('Projects');
    await client.logout();

    // A client that is connected when the server stops is told BYE.
    const lines: string[] = [];
    const socket = connect(port, '127.0.0.1');
    socket.on('data', (chunk: Buffer) => lines.push(chunk.toString('latin1')));
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.once('data', () => resolve()));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    first.process.kill('SIGTERM');
    assert.equal(await first.exited, 0, first.output.join(''));
    await closed;
    assert.match(lines.join(''), /\* BYE /);
    assert.match(first.output.join(''), /"msg":"Stratus stopped"/);

    const second = await serve(env);
    try {
      const again = new ImapFlow({ host: '127.0.0.1', port, secure: false, logger: false, auth: { user: 'dave@example.com', pass: 'S3cret' } });
      await again.connect();
      const folders = (await again.list()).map((m) => m.path);
      assert.ok(folders.includes('Projects') && folders.includes('Sent'), folders.join(','));
      const lock = await again.getMailboxLock('INBOX');
      try {
        const message = await again.fetchOne('1', { source: true, flags: true, uid: true });
        assert.ok(message);
        assert.equal(message.uid, 1);
        assert.ok(message.flags?.has('\\Flagged'));
        assert.deepEqual(message.source, raw, 'raw bytes are returned byte-exact');
      } finally {
        lock.release();
      }
      await again.logout();
    } finally {
      second.process.kill('SIGTERM');
      assert.equal(await second.exited, 0);
    }
  });

  it('exits 1 with the reason when a port is taken, instead of serving half', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    const address = blocker.address();
    const taken = typeof address === 'object' && address ? address.port : 0;
    try {
      const child = spawn(process.execPath, [...CLI, 'serve'], {
        env: { ...env, STRATUS_IMAP_PORT: String(await freePort()), STRATUS_LMTP_PORT: String(taken) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      assert.equal(code, 1, output);
      assert.match(output, /EADDRINUSE/);
    } finally {
      blocker.close();
    }
  });

  it('refuses a bad configuration with a clear message', async () => {
    const bad = spawn(process.execPath, [...CLI, 'serve'], { env: { ...env, STRATUS_IMAP_PORT: 'seventy' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    bad.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const code = await new Promise<number | null>((resolve) => bad.once('exit', resolve));
    assert.equal(code, 1);
    assert.match(stderr, /STRATUS_IMAP_PORT must be a port number or "off"/);
  });
});
