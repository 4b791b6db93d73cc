// STRATUS_FUNCTION_THREADS (src/server/thread-invoker.ts): `stratus serve` with its functions in a worker thread,
// over real TCP. The same command script gets the same answers as the inline invoker, and the process's meter counts
// the same store calls for it (the thread's calls summed back with its answers); an APPEND on one connection
// wakes an IDLE on another (the hint crosses the thread); a thread that dies mid-command fails that command with
// NO [UNAVAILABLE] and the next command works; stop() leaves no thread running.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { loadConfig } from '../../src/config.js';
import { startServer, type RunningServer } from '../../src/server/main.js';
import { addUser } from '../../src/mailstore/directory.js';
import { RawClient } from '../e2e/raw-client.js';
import { CallMeter } from '../../src/storage/metered.js';
import { within } from '../e2e/two-frontends.js';

const USER = 'threads@example.com';
const PASSWORD = 'thread password 1';

interface Started {
  server: RunningServer;
  dir: string;
  logs: { msg?: string; level?: number }[];
}

async function start(env: Record<string, string>): Promise<Started> {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-threads-'));
  const config = loadConfig({
    STRATUS_DATA_DIR: dir,
    STRATUS_IMAP_PORT: '0',
    STRATUS_POP3_PORT: 'off',
    STRATUS_LMTP_PORT: 'off',
    STRATUS_ADMIN_PORT: 'off',
    STRATUS_AUTH_FAILURE_DELAY_MS: '10',
    STRATUS_MAILBOX_POLL_MS: '3600000',
    ...env,
  });
  const logs: { msg?: string; level?: number }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) logs.push(JSON.parse(line) as { msg?: string });
      done();
    },
  });
  const server = await startServer(config, pino({ level: 'info' }, sink));
  await addUser(server.store.ctx, USER, PASSWORD);
  return { server, dir, logs };
}

async function stop(s: Started): Promise<void> {
  await s.server.stop();
  rmSync(s.dir, { recursive: true, force: true });
}

async function login(port: number): Promise<RawClient> {
  const c = await RawClient.connect(port);
  assert.match(await within(c.command('L', `LOGIN "${USER}" "${PASSWORD}"`), 'LOGIN'), /L OK/);
  return c;
}

const message = (n: number, from: string): string =>
  `From: ${from}\r\nTo: ${USER}\r\nSubject: note ${n}\r\nDate: Fri, 27 Nov 2026 09:00:0${n} +0000\r\nMessage-ID: <m${n}@example.com>\r\n\r\nbody text ${n} ${n % 2 ? 'apple' : 'pear'}\r\n`;

/** The command script of the comparison; each answer with what differs between two data directories masked. */
async function script(port: number): Promise<string[]> {
  const c = await login(port);
  const out: string[] = [];
  const step = async (answer: Promise<string>): Promise<void> => {
    out.push((await within(answer, 'answer')).replace(/UIDVALIDITY \d+|APPENDUID \d+/g, 'UIDVALIDITY x').replace(/MAILBOXID \(\w+\)/g, 'MAILBOXID').replace(/EMAILID \(\w+\)|THREADID \(\w+\)/g, 'ID'));
  };
  await step(c.command('C', 'CREATE Work'));
  for (let n = 1; n <= 4; n++) await step(c.append(`A${n}`, 'Work', message(n, n < 3 ? 'ann@example.com' : 'bob@example.com'), '(\\Flagged) "27-Nov-2026 09:00:00 +0000"'));
  await step(c.command('S', 'SELECT Work'));
  await step(c.command('F1', 'FETCH 1:* (UID FLAGS RFC822.SIZE INTERNALDATE ENVELOPE BODYSTRUCTURE)'));
  await step(c.command('F2', 'FETCH 2 (BODY.PEEK[] BODY.PEEK[TEXT]<0.9>)'));
  await step(c.command('T1', 'STORE 1:2 +FLAGS (\\Seen)'));
  await step(c.command('T2', 'UID STORE 3 FLAGS (\\Deleted custom)'));
  await step(c.command('Q1', 'SEARCH UNSEEN'));
  await step(c.command('Q2', 'SEARCH FROM bob'));
  await step(c.command('Q3', 'UID SEARCH BODY apple'));
  await step(c.command('Q4', 'SEARCH SUBJECT "note 4"'));
  await step(c.command('X', 'EXPUNGE'));
  await step(c.command('F3', 'FETCH 1:* (UID FLAGS)'));
  await step(c.command('N', 'STATUS Work (MESSAGES UNSEEN UIDNEXT)'));
  await step(c.command('O', 'LOGOUT'));
  c.close();
  return out;
}

describe('function threads (STRATUS_FUNCTION_THREADS)', () => {
  let inline: Started;
  let threaded: Started;

  before(async () => {
    inline = await start({ STRATUS_FUNCTION_THREADS: '0' });
    threaded = await start({ STRATUS_FUNCTION_THREADS: '1' });
  });
  after(async () => {
    await stop(inline);
    if (threaded.server.store.threads?.running()) await stop(threaded);
  });

  it('answers APPEND, FETCH, STORE, SEARCH and EXPUNGE as the inline invoker does, from the thread', async () => {
    assert.equal(inline.server.store.threads, undefined);
    assert.ok(threaded.server.store.threads, 'the threaded server runs a thread invoker');
    const before = threaded.server.store.meter.snapshot();
    const inlineBefore = inline.server.store.meter.snapshot();
    const expected = await script(inline.server.imapPort!);
    await inline.server.sealsIdle();
    const got = await script(threaded.server.imapPort!);
    await threaded.server.sealsIdle(); // the seals' calls come back with the thread's reply
    assert.deepEqual(got, expected);
    assert.match(got.join(''), /\* SEARCH 3 4\r\n/); // FROM bob: the script exercises what it says
    // The store calls ran in the thread, and the process's meter counts them as the inline one counts its own.
    const used = CallMeter.diff(threaded.server.store.meter.snapshot(), before);
    const inlineUsed = CallMeter.diff(inline.server.store.meter.snapshot(), inlineBefore);
    assert.ok(inlineUsed.kv > 20);
    assert.deepEqual(used.byOp, inlineUsed.byOp);
    assert.equal(used.blobBytesRead, inlineUsed.blobBytesRead);
  });

  it('an APPEND on one connection wakes an IDLE on another (the hint crosses the thread)', async () => {
    const idler = await login(threaded.server.imapPort!);
    const writer = await login(threaded.server.imapPort!);
    assert.match(await idler.command('C', 'CREATE Live'), /C OK/);
    assert.match(await idler.command('S', 'SELECT Live'), /\* 0 EXISTS/);
    idler.write('I IDLE\r\n');
    await within(idler.until((t) => t.includes('+ idling\r\n')), '+ idling');
    assert.match(await writer.append('A', 'Live', message(1, 'ann@example.com')), /A OK/);
    await within(idler.until((t) => t.includes('* 1 EXISTS\r\n')), 'EXISTS during IDLE');
    assert.match(await writer.command('W', 'SELECT Live'), /W OK/);
    assert.match(await writer.command('T', 'STORE 1 +FLAGS (\\Deleted)'), /T OK/);
    await within(idler.until((t) => /\* 1 FETCH \(UID 1 FLAGS \([^)]*\\Deleted/.test(t)), 'FETCH FLAGS during IDLE');
    idler.write('DONE\r\n');
    await within(idler.until((t) => /I OK IDLE terminated\r\n/.test(t)), 'tagged OK');
    idler.close();
    writer.close();
  });

  it('a thread that dies mid-command fails that command with NO [UNAVAILABLE]; the next command works', async () => {
    const threads = threaded.server.store.threads!;
    const c = await login(threaded.server.imapPort!);
    assert.match(await c.command('S', 'SELECT Live'), /S OK/);
    threads.crashNext('message.store');
    assert.match(await within(c.command('T1', 'STORE 1 +FLAGS (\\Seen)'), 'STORE on a dying thread'), /T1 NO \[UNAVAILABLE\]/);
    assert.ok(threaded.logs.some((l) => l.msg === 'function thread exited; a new one starts for the next call'));
    assert.match(await within(c.command('T2', 'STORE 1 +FLAGS (\\Seen)'), 'STORE on a new thread'), /\* 1 FETCH \(FLAGS \([^)]*\\Seen[\s\S]*T2 OK/);
    assert.match(await c.command('F', 'FETCH 1 (FLAGS)'), /\\Seen/);
    assert.equal(threads.running(), 1);
    c.close();
  });

  it('stop() closes the threads', async () => {
    const threads = threaded.server.store.threads!;
    assert.equal(threads.running(), 1);
    await stop(threaded);
    assert.equal(threads.running(), 0);
  });
});

describe('two function threads', () => {
  it('serve two connections at once with the same answers, and sealsIdle asks both', async () => {
    const s = await start({ STRATUS_FUNCTION_THREADS: '2' });
    try {
      const threads = s.server.store.threads!;
      assert.equal(threads.running(), 2);
      const [a, b] = await Promise.all([script(s.server.imapPort!), script(s.server.imapPort!)]);
      // Both scripts CREATE Work: one of them is told it exists; everything after it is the same mailbox's story.
      assert.equal([a[0], b[0]].filter((line) => /^C OK/.test(line!)).length, 1);
      assert.match(a.join('') + b.join(''), /\* SEARCH/);
      await s.server.sealsIdle();
      assert.equal(threads.running(), 2);
    } finally {
      await stop(s);
    }
    assert.equal(s.server.store.threads!.running(), 0);
  });
});

describe('function threads are not used with STRATUS_STATS', () => {
  it('runs the functions inline and says why', async () => {
    const s = await start({ STRATUS_FUNCTION_THREADS: '1', STRATUS_STATS: 'true' });
    try {
      assert.equal(s.server.store.threads, undefined);
      assert.ok(s.logs.some((l) => /ignored with STRATUS_STATS/.test(l.msg ?? '')));
    } finally {
      await stop(s);
    }
  });
});
