// The scenario both two-process suites run: two `stratus serve` processes (A and B) on one store, hints through a
// real redis-server, real clients (raw sockets where the exact wire matters, imapflow as a writer).
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { ImapFlow } from 'imapflow';
import { RawClient } from './raw-client.js';

const WAIT_MS = 15_000;

export interface Frontends {
  portA: number;
  portB: number;
  user: string;
  password: string;
}

/** Bounded wait for `promise`, naming what did not happen. */
export async function within<T>(promise: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function rawLogin(f: Frontends, port: number): Promise<RawClient> {
  const c = await RawClient.connect(port);
  const answer = await within(c.command('L', `LOGIN "${f.user}" "${f.password}"`), 'LOGIN');
  assert.match(answer, /L OK/);
  return c;
}

export function flow(f: Frontends, port: number): ImapFlow {
  return new ImapFlow({
    host: '127.0.0.1',
    port,
    secure: false,
    logger: false,
    auth: { user: f.user, pass: f.password },
    disableAutoIdle: true,
  });
}

function message(n: number): Buffer {
  return Buffer.from(`From: w${n}@example.org\r\nTo: alice@example.com\r\nSubject: message ${n}\r\nMessage-ID: <m${n}@example.org>\r\n\r\nBody ${n}\r\n`);
}

/** An IDLE client on A sees EXISTS, FETCH FLAGS and EXPUNGE for changes made on B; DONE ends IDLE. */
export async function idleSeesOtherProcess(f: Frontends, mailbox: string, keepalive: boolean): Promise<void> {
  const writer = flow(f, f.portB);
  await writer.connect();
  await writer.mailboxCreate(mailbox);
  const a = await rawLogin(f, f.portA);
  try {
    const caps = await a.command('C', 'CAPABILITY');
    assert.match(caps, /\* CAPABILITY [^\r\n]*\bIDLE\b/);
    assert.match(await a.command('S', `SELECT ${mailbox}`), /\* 0 EXISTS[\s\S]*S OK/);
    a.write('I IDLE\r\n');
    await within(a.until((t) => t.includes('+ idling')), '+ idling');

    await writer.append(mailbox, message(1));
    await within(a.until((t) => /\* 1 EXISTS\r\n/.test(t)), 'EXISTS for an APPEND on B');

    const lock = await writer.getMailboxLock(mailbox);
    try {
      await writer.messageFlagsAdd('1', ['\\Flagged'], { uid: true });
      await within(a.until((t) => /\* 1 FETCH \(UID 1 FLAGS \([^)]*\\Flagged/.test(t)), 'FETCH FLAGS for a STORE on B');

      await writer.append(mailbox, message(2));
      await within(a.until((t) => /\* 2 EXISTS\r\n/.test(t)), 'EXISTS for a second APPEND on B');
      await writer.messageDelete('1', { uid: true });
      await within(a.until((t) => /\* 1 EXPUNGE\r\n/.test(t)), 'EXPUNGE for an expunge on B');
    } finally {
      lock.release();
    }
    if (keepalive) await within(a.until((t) => t.includes('* OK Still here\r\n')), 'an IDLE keepalive');
    a.write('DONE\r\n');
    await within(a.until((t) => /I OK [^\r\n]*\r\n/.test(t)), 'tagged OK after DONE');
    // The view is consistent with the store after the pushes: one message, UID 2.
    const fetched = await within(a.command('F', 'FETCH 1:* (UID)'), 'FETCH');
    assert.match(fetched, /\* 1 FETCH \(UID 2\)/);
    assert.doesNotMatch(fetched, /\* 2 FETCH/);
  } finally {
    a.close();
    await writer.logout();
  }
}

/** A FETCH, STORE or SEARCH by sequence number on A never carries EXPUNGE for an expunge on B; NOOP then does. */
export async function sequenceCommandsHoldExpunge(f: Frontends, mailbox: string): Promise<void> {
  const writer = flow(f, f.portB);
  await writer.connect();
  await writer.mailboxCreate(mailbox);
  for (let i = 1; i <= 3; i++) await writer.append(mailbox, message(i));
  const a = await rawLogin(f, f.portA);
  try {
    assert.match(await a.command('S', `SELECT ${mailbox}`), /\* 3 EXISTS/);
    const lock = await writer.getMailboxLock(mailbox);
    try {
      await writer.messageDelete('1', { uid: true });
    } finally {
      lock.release();
    }
    await writer.append(mailbox, message(4)); // committed after the expunge: seeing it proves A knows of both
    let seen = '';
    for (let attempt = 0; !/\* 4 EXISTS/.test(seen); attempt++) {
      assert.ok(attempt < 300, 'A never learned of the changes on B');
      const answer = await within(a.command(`F${attempt}`, 'FETCH 1:* (UID FLAGS)'), 'FETCH');
      assert.doesNotMatch(answer, /EXPUNGE/, 'EXPUNGE during FETCH by sequence number');
      seen = answer;
      if (!/\* 4 EXISTS/.test(seen)) await sleep(50);
    }
    // The expunged message keeps sequence number 1 until an EXPUNGE may be sent (RFC 3501 §7.4.1, RFC 2180 §4.1).
    assert.match(seen, /\* 1 FETCH \(UID 1 /);
    const stored = await within(a.command('T', 'STORE 2 +FLAGS (\\Seen)'), 'STORE');
    assert.doesNotMatch(stored, /EXPUNGE/);
    assert.match(stored, /\* 2 FETCH \(FLAGS \([^)]*\\Seen/);
    const searched = await within(a.command('R', 'SEARCH ALL'), 'SEARCH');
    assert.doesNotMatch(searched, /EXPUNGE/);
    assert.match(searched, /\* SEARCH 1 2 3 4\r\n/);
    const noop = await within(a.command('N', 'NOOP'), 'NOOP');
    assert.match(noop, /\* 1 EXPUNGE\r\n/);
    const after = await within(a.command('G', 'FETCH 1:* (UID)'), 'FETCH');
    assert.match(after, /\* 1 FETCH \(UID 2\)\r\n\* 2 FETCH \(UID 3\)\r\n\* 3 FETCH \(UID 4\)\r\n/);
  } finally {
    a.close();
    await writer.logout();
  }
}

/** 8 writers, 4 on each process, appending at once: unique UIDs, ascending per writer, MODSEQ dense in UID order. */
export async function eightWriters(f: Frontends, mailbox: string): Promise<void> {
  const PER_WRITER = 5;
  const setup = flow(f, f.portA);
  await setup.connect();
  await setup.mailboxCreate(mailbox);
  const watcher = await rawLogin(f, f.portA);
  assert.match(await watcher.command('S', `SELECT ${mailbox}`), /S OK/);
  watcher.write('I IDLE\r\n');
  await within(watcher.until((t) => t.includes('+ idling')), '+ idling');
  const total = 8 * PER_WRITER;
  const sawAll = watcher.until((t) => t.includes(`* ${total} EXISTS\r\n`));

  const writers = Array.from({ length: 8 }, (_, i) => flow(f, i % 2 === 0 ? f.portA : f.portB));
  await Promise.all(writers.map((w) => w.connect()));
  const uidsByWriter = await Promise.all(
    writers.map(async (w, i) => {
      const uids: number[] = [];
      for (let n = 0; n < PER_WRITER; n++) {
        const result = await w.append(mailbox, message(i * 100 + n));
        assert.ok(result && typeof result.uid === 'number', 'APPENDUID');
        uids.push(result.uid);
      }
      return uids;
    }),
  );
  await Promise.all(writers.map((w) => w.logout()));
  for (const uids of uidsByWriter) assert.deepEqual(uids, [...uids].sort((x, y) => x - y), 'ascending per writer');
  const all = uidsByWriter.flat().sort((x, y) => x - y);
  assert.deepEqual(all, Array.from({ length: total }, (_, i) => i + 1), 'unique and dense UIDs');

  await within(sawAll, `IDLE on A seeing ${total} EXISTS`);
  watcher.write('DONE\r\n');
  await within(watcher.until((t) => /I OK [^\r\n]*\r\n/.test(t)), 'tagged OK after DONE');
  const fetched = await within(watcher.command('M', 'UID FETCH 1:* (MODSEQ)'), 'UID FETCH MODSEQ');
  const pairs = [...fetched.matchAll(/UID (\d+) MODSEQ \((\d+)\)|MODSEQ \((\d+)\) UID (\d+)/g)].map((m) =>
    m[1] !== undefined ? [Number(m[1]), Number(m[2])] : [Number(m[4]), Number(m[3])],
  );
  pairs.sort((x, y) => x[0]! - y[0]!);
  assert.equal(pairs.length, total);
  // The mailbox was created at MODSEQ 1 and each APPEND is one commit: MODSEQ 2..41 in UID order, no gap.
  assert.deepEqual(
    pairs.map(([, modseq]) => modseq),
    Array.from({ length: total }, (_, i) => i + 2),
  );
  watcher.close();
  await setup.logout();
}
