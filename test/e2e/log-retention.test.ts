// Change-log retention (src/mailstore/log-retention.ts, run by the GC sweep) on both backends, with every reader of
// the log facing a log that no longer reaches back: a selected session whose view is behind (NOOP → mailbox.changes
// → resync), the process's mailbox cache woken by a hint (IDLE), QRESYNC SELECT with a MODSEQ older than the log
// (RFC 7162 §3.2.5.1: VANISHED (EARLIER) from the UIDs the client may know), an index snapshot older than the log
// (loaded in full), fsck (I2: truncated only from the front) and the GC's own mark. The clock is the sweep's `now`:
// items written before a recorded instant t1 are "older than the retention" at now = t1 + 1 + retention.
//
// The changes after the sessions selected are committed without a hint (a store context without `publishHint`, as a
// writer whose publish was lost), so the frontend learns of them only through the log after it was trimmed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { startFixture } from './fixture.js';
import { RawClient } from './raw-client.js';
import { simpleMessage } from './sample-messages.js';
import { within } from './two-frontends.js';
import { InlineInvoker } from '../../src/mailstore/invoker.js';
import { MailStoreClient } from '../../src/mailstore/client.js';
import type { MailboxId, TenantId, UserId } from '../../src/mailstore/ids.js';
import { keys } from '../../src/mailstore/keys.js';
import { queryAll } from '../../src/mailstore/query-all.js';
import { sweepUser } from '../../src/mailstore/gc.js';
import { fsck } from '../../src/mailstore/fsck.js';
import { pointerOf, snapshotWritesSettled } from '../../src/mailstore/snapshots.js';
import { DAY_MS, DEFAULT_LOG_RETENTION_DAYS } from '../../src/mailstore/log-retention.js';

const RETENTION_MS = DEFAULT_LOG_RETENTION_DAYS * DAY_MS;

async function ok(c: RawClient, tag: string, line: string): Promise<string> {
  const answer = await within(c.command(tag, line), line);
  assert.match(answer, new RegExp(`(^|\\r\\n)${tag} OK`), answer.slice(-500));
  return answer;
}

/** `* n FETCH (UID u FLAGS (…))` lines → "u:flags" in sequence order, \Recent left out (a session flag). */
function uidFlags(text: string): string[] {
  return [...text.matchAll(/^\* \d+ FETCH \((.*)\)\r$/gm)].map(([, items]) => {
    const uid = /\bUID (\d+)/.exec(items!)![1];
    const flags = /\bFLAGS \(([^)]*)\)/.exec(items!)![1]!.split(' ').filter((f) => f !== '' && f !== '\\Recent');
    return `${uid}:${flags.sort().join(' ')}`;
  });
}

const count = (text: string, re: RegExp): number => [...text.matchAll(re)].length;

for (const backend of ['embedded', 'aws'] as const) {
  test(`the GC trims the change log to the retention and every reader answers right past the gap (${backend})`, async (t) => {
    if (backend === 'aws' && !process.env.STRATUS_TEST_DYNAMODB_ENDPOINT) return t.skip('run through test/run.mjs for DynamoDB Local');
    const fx = await startFixture({ backend });
    const sessions: RawClient[] = [];
    const session = async (): Promise<RawClient> => {
      const c = await RawClient.connect(fx.port);
      sessions.push(c);
      await ok(c, 'L', `LOGIN ${fx.user} "${fx.password}"`);
      return c;
    };
    try {
      // Snapshots from 2 messages on, so the first SELECT leaves one at the MODSEQ the log will no longer reach.
      fx.ctx.snapshots = { everyEntries: 1000, minMessages: 2 };
      const writer = await session();
      for (let i = 1; i <= 4; i++) assert.match(await writer.append(`A${i}`, 'INBOX', simpleMessage({ subject: `m${i}` })), /OK/);

      // An offline QRESYNC client's state: UIDVALIDITY and HIGHESTMODSEQ 5 (CREATE INBOX, 4 APPENDs), UIDs 1:4.
      const q = await session();
      await ok(q, 'E', 'ENABLE QRESYNC');
      const selected = await ok(q, 'S', 'SELECT INBOX');
      const uidValidity = Number(/UIDVALIDITY (\d+)/.exec(selected)![1]);
      const h0 = Number(/HIGHESTMODSEQ (\d+)/.exec(selected)![1]);
      assert.equal(h0, 5);
      q.close();

      const noop = await session(); // behind: learns only at NOOP (freshness.ts catchUp)
      await ok(noop, 'S', 'SELECT INBOX');
      const idler = await session(); // behind: learns through the mailbox cache (mailbox-cache.ts readOnce)
      await ok(idler, 'S', 'SELECT INBOX');
      idler.write('I IDLE\r\n');
      await within(idler.until((text) => text.includes('+ idling\r\n')), '+ idling');

      // Changes nobody is told of: \Seen on 2 (modseq 6); then, after t1, \Deleted and EXPUNGE of 1 and 3 and one
      // APPEND (7, 8, 9). At the sweep's clock L#1..L#6 are older than the retention, L#7..L#9 not.
      const silent = new MailStoreClient(new InlineInvoker({ ...fx.ctx, publishHint: undefined }), fx.ctx.blob);
      const login = await silent.login(fx.user, fx.password);
      const { status } = await silent.call('mailbox.open', { token: login.token, path: 'INBOX' });
      const mailboxId = status.mailboxId as MailboxId;
      const store = (uids: number[], flags: string[]) =>
        silent.call('message.store', { token: login.token, mailboxId, uids, mode: 'add', flags });
      await store([2], ['\\Seen']);
      const t1 = Date.now();
      while (Date.now() <= t1) await new Promise((resolve) => setImmediate(resolve)); // later items: `at` > t1
      await store([1, 3], ['\\Deleted']);
      await silent.call('message.expunge', { token: login.token, mailboxId, uids: [1, 3] });
      const raw = Buffer.from(simpleMessage({ subject: 'm5' }));
      await silent.append(login.token, 'INBOX', Readable.from([raw]), raw.length, [], Date.now());
      await snapshotWritesSettled();
      const logOf = async () => (await queryAll(fx.ctx, `M#${mailboxId}`, 'L#')).map((i) => Number(i.sk.slice(2)));
      assert.deepEqual(await logOf(), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
      const snapshotAt = async () => pointerOf(await fx.ctx.kv.get('mail', keys.mailboxSnapshot(mailboxId), { consistent: true }))?.modseq;
      assert.equal(await snapshotAt(), 5, 'the SELECT left a snapshot at MODSEQ 5');

      // The sweep: a dry run counts, deletes nothing; then L#1..L#6 go, the rest stays; a second run finds nothing.
      const tenantId = login.tenantId as TenantId;
      const userId = login.userId as UserId;
      const now = t1 + 1 + RETENTION_MS;
      assert.equal((await sweepUser(fx.ctx, tenantId, userId, { now, dryRun: true })).logTrimmed, 6);
      assert.equal((await logOf()).length, 9);
      assert.equal((await sweepUser(fx.ctx, tenantId, userId, { now })).logTrimmed, 6);
      assert.deepEqual(await logOf(), [7, 8, 9]);
      assert.equal((await sweepUser(fx.ctx, tenantId, userId, { now })).logTrimmed, 0);
      assert.deepEqual((await fsck(fx.ctx, { user: fx.user })).violations, [], 'a log truncated from the front is sound (I2)');

      // The expected mailbox, as a fresh session sees it.
      const expected = ['2:\\Seen', '4:', '5:'];

      // A view behind the log: NOOP reads the log since 5, finds the gap, reopens and announces the difference.
      const told = await ok(noop, 'N', 'NOOP');
      assert.equal(count(told, /^\* \d+ EXPUNGE\r$/gm), 2, told);
      assert.match(told, /^\* 3 EXISTS\r$/m);
      assert.deepEqual(uidFlags(await ok(noop, 'F', 'FETCH 1:* (UID FLAGS)')), expected);

      // The mailbox cache behind the log: a hint wakes it, its log read finds the gap, it reopens; IDLE pushes it.
      fx.ctx.publishHint?.({ mailboxId, modseq: 9 });
      const pushed = await within(
        idler.until((text) => count(text, /^\* \d+ EXPUNGE\r$/gm) === 2 && /^\* 3 EXISTS\r$/m.test(text)),
        'EXPUNGE ×2 and EXISTS in IDLE',
      );
      assert.doesNotMatch(pushed, /^\* 4 EXISTS/m);
      idler.write('DONE\r\n');
      await within(idler.until((text) => /(^|\r\n)I OK/.test(text)), 'IDLE done');
      assert.deepEqual(uidFlags(await ok(idler, 'F', 'FETCH 1:* (UID FLAGS)')), expected);

      // QRESYNC with MODSEQ 5, older than the log (§3.2.5.1): every known UID that is gone is VANISHED (EARLIER),
      // flags of messages changed since 5 are sent — with known-uids 1:4 only those; without, all of them.
      const back = await session();
      await ok(back, 'E', 'ENABLE QRESYNC');
      const known = await ok(back, 'S', `SELECT INBOX (QRESYNC (${uidValidity} ${h0} 1:4))`);
      assert.match(known, /^\* VANISHED \(EARLIER\) 1,3\r$/m);
      assert.deepEqual(uidFlags(known), ['2:\\Seen']);
      assert.match(known, /HIGHESTMODSEQ 9\]/);
      const all = await ok(back, 'S2', `SELECT INBOX (QRESYNC (${uidValidity} ${h0}))`);
      assert.match(all, /^\* VANISHED \(EARLIER\) 1,3\r$/m);
      assert.deepEqual(uidFlags(all), ['2:\\Seen', '5:']);

      // The snapshot at 5 cannot be brought forward across the gap: the mailbox is loaded in full, and a new
      // snapshot at 9 replaces it.
      const opened = await silent.call('mailbox.open', { token: login.token, path: 'INBOX' });
      assert.deepEqual(opened.messages.uids, [2, 4, 5]);
      assert.equal(opened.status.highestModseq, 9);
      await snapshotWritesSettled();
      assert.equal(await snapshotAt(), 9);

      // The GC's mark reads the log of its own window: one more change, then trimming everything old keeps the
      // newest item only, and a later sweep deletes no body a message references.
      await store([4], ['\\Flagged']);
      const far = await sweepUser(fx.ctx, tenantId, userId, { now: Date.now() + RETENTION_MS + DAY_MS });
      assert.equal(far.logTrimmed, 3);
      assert.equal(far.orphans.length, 0);
      assert.deepEqual(await logOf(), [10], 'the newest item stays');
      assert.equal((await sweepUser(fx.ctx, tenantId, userId, { now: Date.now() + 2 * RETENTION_MS })).logTrimmed, 0);
      assert.deepEqual((await fsck(fx.ctx, { user: fx.user })).violations, []);
      await ok(noop, 'N2', 'NOOP'); // since 9: L#10 is there, no reopen needed
      assert.deepEqual(uidFlags(await ok(noop, 'F2', 'FETCH 1:* (UID FLAGS)')), ['2:\\Seen', '4:\\Flagged', '5:']);
    } finally {
      for (const c of sessions) c.close();
      await fx.close();
    }
  });
}
