// A QRESYNC client that was offline catches up exactly across two frontends (issue 5 "Done when"): it syncs a
// mailbox on process A and disconnects; on process B other clients append, flag and expunge, more than one commit
// batch at a time; back on A, one SELECT (QRESYNC (uidvalidity modseq known-uids)) (RFC 7162 §3.2.5) must leave it
// with exactly what a full re-download (UID FETCH 1:* (FLAGS MODSEQ)) shows. Runs on DynamoDB Local + the S3
// stand-in and on one SQLite data directory, hints through a real redis-server. Also: when the change log no longer
// reaches back to the client's modseq (§3.2.5.1 "the server MAY … the conservative answer"), the answer is still
// exact. The test removes the oldest entries itself, as the GC's log retention (log-retention.ts) would.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ImapFlow } from 'imapflow';
import { keys } from '../../src/mailstore/keys.js';
import type { MailboxId, ModSeq } from '../../src/mailstore/ids.js';
import { startRedis, type RunningRedis } from '../notify/redis-server.js';
import { startServe, type ServeProcess } from './serve-process.js';
import { rawLogin, within, type Frontends } from './two-frontends.js';
import { addTestUser, dynamoStore, openShared, sqliteStore, type SharedStore } from './two-process-stores.js';
import type { RawClient } from './raw-client.js';

const USER = 'quinn@example.com';
const PASSWORD = 'offline and back';

/** UID → "sorted flags|modseq", the state a QRESYNC client keeps per message. */
type ClientCache = Map<number, string>;

function message(n: number): string {
  return `From: n${n}@example.org\r\nTo: ${USER}\r\nSubject: offline ${n}\r\nMessage-ID: <q${n}@example.org>\r\n\r\nBody ${n}\r\n`;
}

/** `* n FETCH (…)` lines with UID, FLAGS and MODSEQ in any order → cache entries (\Recent left out). */
function fetched(text: string): ClientCache {
  const out: ClientCache = new Map();
  for (const [, items] of text.matchAll(/^\* \d+ FETCH \((.*)\)\r$/gm)) {
    const uid = /\bUID (\d+)/.exec(items!);
    const flags = /\bFLAGS \(([^)]*)\)/.exec(items!);
    const modseq = /\bMODSEQ \((\d+)\)/.exec(items!);
    if (!uid || !flags || !modseq) continue;
    // \Recent is a session flag (RFC 3501 §2.3.2), not mailbox state: it differs between the sessions compared.
    const kept = flags[1]!.split(' ').filter((flag) => flag !== '' && flag !== '\\Recent');
    out.set(Number(uid[1]), `${kept.sort().join(' ')}|${modseq[1]}`);
  }
  return out;
}

function sorted(cache: ClientCache): ClientCache {
  return new Map([...cache].sort((a, b) => a[0] - b[0]));
}

/** Expands a UID set as the server sends it (`3:5,9`) — no `*` in VANISHED. */
function uidsOf(set: string): number[] {
  return set.split(',').flatMap((part) => {
    const [lo, hi] = part.split(':').map(Number) as [number, number | undefined];
    const [a, b] = hi === undefined ? [lo, lo] : [Math.min(lo, hi), Math.max(lo, hi)];
    return Array.from({ length: b - a + 1 }, (_, i) => a + i);
  });
}

function num(text: string, re: RegExp): number {
  const m = re.exec(text);
  assert.ok(m, `${re} not in ${text.slice(0, 2000)}`);
  return Number(m[1]);
}

/** A compact UID set for known-uids: runs of consecutive UIDs as a:b. */
function uidSet(uids: number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < uids.length; ) {
    let j = i;
    while (j + 1 < uids.length && uids[j + 1] === uids[j]! + 1) j++;
    parts.push(j === i ? `${uids[i]}` : `${uids[i]}:${uids[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** Creates `mailbox` and fills it with `n` messages through MULTIAPPEND (LITERAL+), ≤ 60 per command. */
async function seed(f: Frontends, port: number, mailbox: string, n: number): Promise<void> {
  const c = await rawLogin(f, port);
  try {
    assert.match(await c.command('C', `CREATE ${mailbox}`), /C OK/);
    for (let first = 1, tag = 0; first <= n; first += 60, tag++) {
      const parts = [];
      for (let i = first; i < Math.min(first + 60, n + 1); i++) parts.push(`{${Buffer.byteLength(message(i))}+}\r\n${message(i)}`);
      const answer = await within(c.command(`A${tag}`, `APPEND ${mailbox} ${parts.join(' ')}`), 'MULTIAPPEND');
      assert.match(answer, new RegExp(`A${tag} OK`));
    }
  } finally {
    c.close();
  }
}

/** A full download on a fresh connection: what a client without a cache would see. */
async function fullDownload(f: Frontends, port: number, mailbox: string): Promise<{ cache: ClientCache; highest: number; uidValidity: number }> {
  const c = await rawLogin(f, port);
  try {
    const selected = await within(c.command('S', `SELECT ${mailbox} (CONDSTORE)`), 'SELECT');
    const cache = fetched(await within(c.command('F', 'UID FETCH 1:* (FLAGS MODSEQ)'), 'UID FETCH'));
    assert.equal(cache.size, num(selected, /^\* (\d+) EXISTS\r$/m));
    return { cache, highest: num(selected, /HIGHESTMODSEQ (\d+)/), uidValidity: num(selected, /UIDVALIDITY (\d+)/) };
  } finally {
    c.close();
  }
}

async function command(c: RawClient, tag: string, line: string): Promise<string> {
  const answer = await within(c.command(tag, line), line);
  assert.match(answer, new RegExp(`(^|\\r\\n)${tag} OK`), answer.slice(-500));
  return answer;
}

/** What the returning client does (§3.2.5): ENABLE QRESYNC, SELECT with its state, apply the answer to its cache. */
async function catchUp(
  f: Frontends,
  port: number,
  mailbox: string,
  known: { cache: ClientCache; highest: number; uidValidity: number },
): Promise<{ cache: ClientCache; vanished: number[]; reported: ClientCache; highest: number; exists: number }> {
  const c = await rawLogin(f, port);
  try {
    await command(c, 'E', 'ENABLE QRESYNC');
    const knownUids = uidSet([...known.cache.keys()].sort((a, b) => a - b));
    const answer = await command(c, 'R', `SELECT ${mailbox} (QRESYNC (${known.uidValidity} ${known.highest} ${knownUids}))`);
    // §3.2.5: VANISHED (EARLIER) comes before the FETCH responses; a FETCH by sequence number never saw EXPUNGE.
    assert.doesNotMatch(answer, /EXPUNGE/);
    const lines = [...answer.matchAll(/^\* VANISHED \(EARLIER\) (\S+)\r$/gm)];
    assert.ok(lines.length <= 1, 'one VANISHED (EARLIER) response');
    const vanished = lines.length ? uidsOf(lines[0]![1]!) : [];
    if (lines.length && answer.includes(' FETCH (')) assert.ok(answer.indexOf('VANISHED') < answer.indexOf(' FETCH ('));
    const reported = fetched(answer);
    const cache = new Map(known.cache);
    for (const uid of vanished) cache.delete(uid);
    for (const [uid, value] of reported) cache.set(uid, value);
    // known-uids limits the answer to the UIDs the client knew (§3.2.5.1); new messages it fetches above them.
    const maxKnown = Math.max(0, ...known.cache.keys());
    const added = fetched(await command(c, 'N', `UID FETCH ${maxKnown + 1}:* (FLAGS MODSEQ)`));
    for (const [uid, value] of added) if (uid > maxKnown) cache.set(uid, value);
    return { cache: sorted(cache), vanished, reported, highest: num(answer, /HIGHESTMODSEQ (\d+)/), exists: num(answer, /^\* (\d+) EXISTS\r$/m) };
  } finally {
    c.close();
  }
}

function suite(name: string, prepare: () => Promise<SharedStore>): void {
  describe(`QRESYNC catch-up across two frontends on ${name}, hints through Redis`, () => {
    let redis: RunningRedis;
    let a: ServeProcess;
    let b: ServeProcess;
    let f: Frontends;
    let shared: SharedStore;

    before(async () => {
      redis = await startRedis();
      shared = await prepare();
      shared.env = { ...shared.env, STRATUS_REDIS_URL: redis.url, STRATUS_MAILBOX_POLL_MS: '3600000' };
      await addTestUser(shared.env, USER, PASSWORD);
      [a, b] = await Promise.all([startServe(shared.env), startServe(shared.env)]);
      f = { portA: a.imapPort, portB: b.imapPort, user: USER, password: PASSWORD };
    });
    after(async () => {
      await Promise.all([a?.stop(), b?.stop()]);
      await redis?.stop();
      await shared?.cleanup();
    });

    it('a client offline on A while B appends, flags and expunges in several batches catches up exactly', async () => {
      const box = 'Offline';
      const N = 130;
      await seed(f, f.portB, box, N);
      // A client that stays selected on A in IDLE keeps A's mailbox cache live through the hints.
      const watcher = await rawLogin(f, f.portA);
      await command(watcher, 'W1', `SELECT ${box} (CONDSTORE)`);
      watcher.write('WI IDLE\r\n');
      await within(watcher.until((t) => t.includes('+ idling')), '+ idling');

      const before = await fullDownload(f, f.portA, box);
      assert.equal(before.cache.size, N);

      // Offline: on B, one raw client flags and expunges more than one batch (95 UIDs per commit), while imapflow
      // appends and sets a keyword.
      const raw = await rawLogin(f, f.portB);
      const lib = new ImapFlow({ host: '127.0.0.1', port: f.portB, secure: false, logger: false, auth: { user: USER, pass: PASSWORD }, disableAutoIdle: true });
      await lib.connect();
      await Promise.all([
        (async () => {
          await command(raw, 'B1', `SELECT ${box}`);
          await command(raw, 'B2', 'UID STORE 1:120 +FLAGS.SILENT (\\Flagged)');
          await command(raw, 'B3', 'UID STORE 10:110 +FLAGS.SILENT (\\Deleted)');
          await command(raw, 'B4', 'UID EXPUNGE 10:110');
          await command(raw, 'B5', 'UID STORE 121:130 +FLAGS.SILENT (\\Seen)');
        })(),
        (async () => {
          for (let i = 1; i <= 3; i++) await lib.append(box, message(N + i), ['\\Seen']);
          const lock = await lib.getMailboxLock(box);
          try {
            await lib.messageFlagsAdd('5,125', ['$Label'], { uid: true });
          } finally {
            lock.release();
          }
        })(),
      ]);
      // The last change, after all others, on a message the watcher announced long ago (a change to one it has not
      // announced yet is folded into its EXISTS): when the watcher sees it, A's cache holds every change before it.
      await command(raw, 'B6', 'UID STORE 1 +FLAGS.SILENT (\\Answered)');
      raw.close();
      await lib.logout();

      const truth = await fullDownload(f, f.portB, box);
      assert.equal(truth.cache.size, N - 101 + 3);
      const back = await catchUp(f, f.portA, box, before);
      assert.deepEqual(back.cache, sorted(truth.cache), 'the caught-up cache equals a full re-download');
      assert.equal(back.highest, truth.highest);
      assert.equal(back.exists, truth.cache.size);
      // The log reaches back: VANISHED names exactly the expunged UIDs the client knew, the FETCHes only changes.
      assert.deepEqual(back.vanished, Array.from({ length: 101 }, (_, i) => i + 10));
      for (const [uid, value] of back.reported) assert.notEqual(before.cache.get(uid), value, `UID ${uid} reported unchanged`);

      // The live path on A ended in the same state: the IDLE watcher, after DONE, agrees with the re-download.
      await within(watcher.until((t) => /FETCH \(UID 1 [^\r]*\\Answered/.test(t)), 'the last change pushed to IDLE on A');
      watcher.write('DONE\r\n');
      await within(watcher.until((t) => /WI OK[^\r]*\r\n/.test(t)), 'tagged OK after DONE');
      const live = fetched(await command(watcher, 'W2', 'UID FETCH 1:* (FLAGS MODSEQ)'));
      assert.deepEqual(sorted(live), sorted(truth.cache));
      watcher.close();
    });

    it('when the change log no longer reaches back, the conservative VANISHED (EARLIER) still gives the exact state', async () => {
      const box = 'Truncated';
      await seed(f, f.portB, box, 20);
      const before = await fullDownload(f, f.portA, box);

      const raw = await rawLogin(f, f.portB);
      await command(raw, 'T1', `SELECT ${box}`);
      await command(raw, 'T2', 'UID STORE 3:5 +FLAGS.SILENT (\\Deleted)');
      await command(raw, 'T3', 'UID EXPUNGE 3:5');
      await command(raw, 'T4', 'UID STORE 7 +FLAGS.SILENT (\\Flagged)');
      const extra = `{${Buffer.byteLength(message(21))}+}\r\n${message(21)} {${Buffer.byteLength(message(22))}+}\r\n${message(22)}`;
      await command(raw, 'T5', `APPEND ${box} ${extra}`);
      await command(raw, 'T6', 'UID STORE 21 +FLAGS.SILENT (\\Deleted)');
      await command(raw, 'T7', 'UID EXPUNGE 21');
      raw.close();

      // As a log truncation would: the entries just after the client's modseq are gone (META and messages stay).
      const store = openShared(shared.env);
      try {
        const { token } = await store.client.login(USER, PASSWORD);
        const { mailboxId } = await store.client.call('mailbox.status', { token, path: box });
        for (const modseq of [before.highest + 1, before.highest + 2]) await store.ctx.kv.delete('mail', keys.log(mailboxId as MailboxId, modseq as ModSeq));
        const changes = await store.client.call('mailbox.changes', { token, mailboxId, since: before.highest });
        assert.equal(changes.resync, true, 'the log has a gap after the client modseq');
      } finally {
        await store.close();
      }

      const truth = await fullDownload(f, f.portB, box);
      const back = await catchUp(f, f.portA, box, before);
      assert.deepEqual(back.cache, sorted(truth.cache), 'the caught-up cache equals a full re-download');
      // §3.2.5.1: every known UID that is gone, and nothing still present.
      for (const uid of [3, 4, 5]) assert.ok(back.vanished.includes(uid), `UID ${uid} in VANISHED`);
      for (const uid of back.vanished) assert.ok(!truth.cache.has(uid), `UID ${uid} is still present`);
    });
  });
}

suite('DynamoDB Local + the S3 stand-in', () => dynamoStore());
suite('one SQLite data directory', async () => sqliteStore());
