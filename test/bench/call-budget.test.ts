// The call budget of the hot IMAP commands on the DynamoDB backend (issue #8): the same measurement as
// bench/call-budget.ts, on DynamoDB Local + the S3 stand-in, with a smaller mailbox. A command that starts making
// more store calls than its budget fails here; the figures and what they cost are in bench/RESULTS.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { costReport, measureCommands, type Measured, type SearchSetting } from '../../bench/call-budget.js';
import { startAwsStratus } from '../../bench/local-stratus.js';
import { DEFAULT_SNAPSHOT_POLICY } from '../../src/mailstore/snapshots.js';

const MESSAGES = 150;

function endpoints(): { dynamodbEndpoint: string; s3Endpoint: string; s3Bucket: string } {
  const { STRATUS_TEST_DYNAMODB_ENDPOINT: d, STRATUS_TEST_S3_ENDPOINT: s, STRATUS_TEST_S3_BUCKET: b } = process.env;
  if (!d || !s || !b) throw new Error('run through test/run.mjs: it starts DynamoDB Local and the S3 stand-in');
  return { dynamodbEndpoint: d, s3Endpoint: s, s3Bucket: b };
}

interface Budget {
  /** All KV calls of the command, at most. */
  kv: number;
  /** Exact counts of these operations (0: none at all). */
  exact?: Record<string, number>;
  /** Upper bounds of these operations. */
  atMost?: Record<string, number>;
}

// storage-design §C6/§D2: reads inline, one transaction per write, cold items in batches of 100, no hot-item load
// for a mailbox the frontend has seen.
const BUDGETS: [prefix: string, budget: Budget][] = [
  ['LOGIN', { kv: 1, exact: { 'kv.transactWrite': 0 } }],
  // Names, subscriptions and the share index in one query of the user's partition (keys.ts listItems), then the
  // tenant's `anyone` share index and its Shared/ tree.
  ['LIST', { kv: 3, exact: { 'kv.get': 0, 'kv.query': 3 } }],
  ['STATUS INBOX (MESSAGES UNSEEN UIDNEXT), path new', { kv: 2, exact: { 'kv.query': 0 } }],
  // The process remembers which mailbox the path named (src/imap/session/mailbox-id-hints.ts): META alone.
  ['STATUS INBOX (MESSAGES UNSEEN UIDNEXT), path known', { kv: 1, exact: { 'kv.get': 1 } }],
  // The mailbox's first open ever: every hot item, and (this test's policy writes one at 100 messages) the index
  // snapshot beside it — its pointer put is the 8th call and its blob the one PUT (7 calls without a snapshot).
  ['SELECT INBOX, first open', { kv: 8, atMost: { 'kv.query': 1 }, exact: { 'blob.put': 1 } }],
  // A frontend that has not held the mailbox: name, META + snapshot pointer, the log tail, one snapshot GET — no
  // hot-item query (storage-design §D2 "SELECT, S3 snapshot + log").
  ['SELECT INBOX, not cached by this frontend (from the index snapshot', { kv: 5, exact: { 'kv.query': 1, 'blob.get': 1, 'blob.put': 0 } }],
  ['SELECT INBOX, not cached, rewrites the index snapshot', { kv: 6, exact: { 'kv.query': 1, 'blob.put': 1 } }],
  ['safety poll of 1 watched mailbox (no change)', { kv: 1, exact: { 'kv.get': 1 } }],
  // The hint carries the commit's log entry (src/notify/hint-change.ts): the other frontend takes it, no read (was
  // the row below for every hint: META + the log Query).
  ['change taken by another frontend from its hint', { kv: 0, exact: { 'blob.get': 0 } }],
  // A poll that finds a change (a lost hint, or one too big to carry its entry): META + the log Query.
  ['change read by another frontend', { kv: 2, exact: { 'kv.get': 1, 'kv.query': 1 } }],
  ['SELECT INBOX, cached', { kv: 4, exact: { 'kv.query': 0, 'kv.batchGet': 0 } }],
  ['NOOP', { kv: 1 }],
  ['FETCH 1:* (FLAGS) CHANGEDSINCE', { kv: 0, exact: { 'blob.get': 0 } }],
  ['UID FETCH 10 msgs', { kv: 1, exact: { 'kv.batchGet': 1, 'blob.get': 0 } }],
  ['UID FETCH 1 msg BODY', { kv: 0, exact: { 'blob.get': 1 } }],
  // Planned from what the session's view holds, checked by the transaction's conditions (store-expunge.ts): META and
  // the commit, no hot-item read. The commit's answer carries its log entry, which the writer hands to the process's
  // mailbox cache (mailbox-cache.ts committed): the other session of this process (a) takes the change from there, no
  // log read for it (was 4: META + query). Was 5 before that (batchGet 1). test/e2e/store-calls.test.ts: the same.
  ['UID STORE', { kv: 2, exact: { 'kv.transactWrite': 1, 'kv.batchGet': 0, 'kv.query': 0 } }],
  // A non-synchronizing literal (LITERAL+) needs no look-ahead (was acl.myRights: name + META); the name item and the
  // owner's quota limits come in one batchGet (messages.ts), META is the commit's read: was 7 (get 5). With the
  // process's mailbox-id hint (a path STATUSed or APPENDed to before) META rides in that batchGet too: 3.
  ['APPEND', { kv: 4, exact: { 'kv.transactWrite': 1, 'kv.batchGet': 1, 'kv.get': 1, 'blob.put': 1 } }],
  ['UID COPY', { kv: 6, exact: { 'kv.transactWrite': 1, 'blob.put': 0 } }],
  // The source's change goes to the process's cache as STORE's does: no log read for session a (was 8: META + query).
  // The pair commit plans on the source META that move.ts read to compare owners (was 6: that META read twice).
  ['UID MOVE', { kv: 5, exact: { 'kv.transactWrite': 1, 'kv.get': 3, 'blob.put': 0, 'kv.query': 0 } }],
  // As UID STORE: no hot-item read (size and emailId are conditions of the delete; was 5), no log read for a (was 4).
  ['UID EXPUNGE', { kv: 2, exact: { 'kv.transactWrite': 1, 'kv.batchGet': 0, 'kv.query': 0 } }],
  ['SEARCH UNSEEN', { kv: 0, exact: { 'blob.get': 0 } }],
  // RCPT's login read, deliver.prepare's login read, one batchGet (marker, user META, INBOX name), the cold item, META
  // + the commit. The recipient's copy goes straight to its final key (src/mailstore/delivery-ops.ts): one PUT, one
  // GET, no HEAD — was 10 KV calls (get 7) and 2 PUTs + HEAD + GET. The commit's hint carries its log entry, which the
  // watching session takes from the process's mailbox cache (mailbox-cache.ts hinted): was 8 (META + log read).
  [
    'LMTP delivery',
    { kv: 6, exact: { 'kv.transactWrite': 1, 'kv.batchGet': 1, 'kv.get': 3, 'kv.query': 0, 'blob.put': 1, 'blob.get': 1, 'blob.head': 0 } },
  ],
];

test(`hot commands stay within their store-call budgets on DynamoDB Local (${MESSAGES}-message mailbox)`, async () => {
  const stratus = await startAwsStratus(endpoints());
  let measured: Measured[];
  const setting: Partial<SearchSetting> = {};
  try {
    measured = await measureCommands(stratus.server, MESSAGES, undefined, setting, {
      another: () => startAwsStratus(endpoints(), {}, stratus.tables),
      // A snapshot at this size too (the default writes none below 5,000 messages), and a short log tail.
      policy: { ...DEFAULT_SNAPSHOT_POLICY, minMessages: 100 },
      tail: 20,
    });
  } finally {
    await stratus.close();
  }
  const failures: string[] = [];
  for (const [prefix, budget] of BUDGETS) {
    const row = measured.find((m) => m.name.startsWith(prefix));
    if (!row) {
      failures.push(`${prefix}: not measured`);
      continue;
    }
    const { counts } = row;
    const seen = JSON.stringify(counts.byOp);
    if (counts.kv > budget.kv) failures.push(`${row.name}: ${counts.kv} KV calls > ${budget.kv} (${seen})`);
    for (const [op, n] of Object.entries(budget.exact ?? {})) {
      if ((counts.byOp[op] ?? 0) !== n) failures.push(`${row.name}: ${op} ${counts.byOp[op] ?? 0} ≠ ${n} (${seen})`);
    }
    for (const [op, n] of Object.entries(budget.atMost ?? {})) {
      if ((counts.byOp[op] ?? 0) > n) failures.push(`${row.name}: ${op} ${counts.byOp[op]} > ${n} (${seen})`);
    }
  }
  // Cold items in their compact form (src/mailstore/cold-item.ts): with the index as a map attribute the APPEND (of
  // the corpus's 6 KB message) wrote 7 WRU and the delivery 8; compact, 6 and 7; without the search text (issue #8:
  // the cold item fits in one write unit), 5 and 5.
  for (const [prefix, wru] of [['APPEND', 5], ['LMTP delivery', 5]] as const) {
    const row = measured.find((m) => m.name.startsWith(prefix))!;
    if (row.counts.wru > wru) failures.push(`${row.name}: ${row.counts.wru} WRU > ${wru}`);
  }
  // The cached SELECT reads only strongly consistent single items (name, META, \Recent): no hot items.
  const cached = measured.find((m) => m.name.startsWith('SELECT INBOX, cached'))!;
  assert.ok(cached.counts.rru <= 4, `cached SELECT used ${cached.counts.rru} RRU`);
  // Text SEARCH (src/mailstore/search-text.ts): one batchGet (META + the segment directory), one GET per segment,
  // and for the unsealed tail one Query of its hot items and, on a cold cache (a frontend that did not store the
  // messages), one GET per raw message for BODY / TEXT, the cold items' header cache (batched, + a strong retry) for
  // header keys. Was: the session's batched cold-item reads (+ a strong retry) of the tail, whose text cold items no
  // longer keep (issue #8).
  assert.ok((setting.segments ?? 0) >= 1, `the fill was sealed: ${JSON.stringify(setting)}`);
  const unsealed = setting.unsealed ?? 0;
  for (const prefix of ['SEARCH FROM', 'SEARCH BODY', 'SEARCH TEXT']) {
    const row = measured.find((m) => m.name.startsWith(prefix))!;
    const ops = JSON.stringify(row.counts.byOp);
    const header = prefix === 'SEARCH FROM';
    const tail = unsealed > 0 ? 1 : 0;
    const coldReads = header ? 2 * Math.ceil(unsealed / 100) : 0;
    if (row.counts.kv > 1 + tail + coldReads || (row.counts.byOp['kv.query'] ?? 0) !== tail) failures.push(`${row.name}: KV calls (${ops})`);
    const gets = (setting.segments ?? 0) + (header ? 0 : unsealed);
    if ((row.counts.byOp['blob.get'] ?? 0) !== gets) failures.push(`${row.name}: blob.get ≠ ${gets}: segments (+ raw tail) (${ops})`);
  }
  assert.deepEqual(failures, []);
});

test('the user-month adds what storage-design §D3 counts besides requests: egress and the Fargate share, and a floor', () => {
  // Every row the month table prices, with no request cost at all: what is left is storage (+ egress + Fargate).
  const prefixes = ['LOGIN', 'LIST', 'STATUS INBOX (MESSAGES UNSEEN UIDNEXT), path new', 'STATUS INBOX (MESSAGES UNSEEN UIDNEXT), path known',
    'SELECT INBOX, first open', 'SELECT INBOX, cached', 'NOOP', 'FETCH 1:* (FLAGS) CHANGEDSINCE', 'UID FETCH 10 msgs', 'UID FETCH 1 msg BODY',
    'UID STORE', 'APPEND', 'UID COPY', 'UID MOVE', 'UID EXPUNGE', 'SEARCH UNSEEN', 'SEARCH FROM', 'SEARCH BODY', 'seal of', 'LMTP delivery',
    'SELECT INBOX, not cached by this frontend', 'safety poll of 1 watched mailbox', 'change taken by another frontend from its hint', 'change read by another frontend',
    'SELECT INBOX, not cached, rewrites'];
  const free: Measured[] = prefixes.map((name) => ({ name, counts: { kv: 0, blob: 0, blobBytesRead: 0, rru: 0, wru: 0, byOp: {} } }));
  const r = costReport(free, 20_000, { segmentBytes: 0, sealedUpTo: 20_000 });
  // §D3's columns: Fargate $0.017, egress $0.023 (body FETCHes of 75 KB + envelope FETCHes); storage ≈ $0.049 here.
  const extra = r.everything - r.perUserMonth;
  assert.ok(Math.abs(extra - (0.0171 + 0.0193 + 0.0019)) < 0.0005, `egress + Fargate = ${extra}`);
  assert.ok(Math.abs(r.floor - r.everything) < 1e-9, `with free requests the month is its floor: ${r.floor} vs ${r.everything}`);
  assert.match(r.markdown, /requests \+ storage \+ Lambda \(as before\)/);
  assert.match(r.markdown, /everything the design's \$0\.21–0\.28 counts/);
  assert.match(r.markdown, /floor: storage \+ egress \+ Fargate/);
});
