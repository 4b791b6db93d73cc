// The AWS call budget (issue #8): store calls, DynamoDB capacity units (as DynamoDB Local reports them) and S3
// requests per IMAP command on the DynamoDB backend, for a mailbox of --messages messages, and what the typical
// user's month costs at list prices (storage-design §D1, §D3).
//
//   npx tsx bench/call-budget.ts [--messages 20000] [--json]
//
// Starts DynamoDB Local and the S3 stand-in (test/services.mjs) unless STRATUS_TEST_DYNAMODB_ENDPOINT,
// STRATUS_TEST_S3_ENDPOINT and STRATUS_TEST_S3_BUCKET name running ones; starts Stratus in this process on them;
// fills INBOX with MULTIAPPEND; then runs each command once on its own and diffs the process's call meter, after
// the server has gone quiet (so a write's own change-hint handling is counted with it). The rows of a frontend that
// has not held INBOX yet (cold SELECT from the index snapshot, the safety poll, a change taken from its hint or read) are
// measured on a second and third Stratus started on the same tables, each with its own call meter: what another
// frontend process in AWS does.
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { makeCorpus } from './corpus.js';
import { ImapClient } from './imap-client.js';
import { LmtpClient } from './lmtp-client.js';
import { localEndpoints, quiet, startAwsStratus, type LocalStratus } from './local-stratus.js';
import { loadConfig } from '../src/config.js';
import { DEFAULT_SNAPSHOT_POLICY, readPointer, snapshotWritesSettled, type SnapshotPolicy } from '../src/mailstore/snapshots.js';
import type { RunningServer } from '../src/server/main.js';
import { addUser } from '../src/mailstore/directory.js';
import { CallMeter, type CallCounts } from '../src/storage/metered.js';
import { keys } from '../src/mailstore/keys.js';
import type { EmailId, MailboxId, UserId } from '../src/mailstore/ids.js';
import type { KvItem } from '../src/storage/kv.js';
import { dynamoItemSize } from '../src/storage/item-size.js';
import { sealMailbox } from '../src/mailstore/search-seal.js';
import { hintPayload, parseHintPayload } from '../src/notify/redis-bus.js';
import { directoryFromItem, foldedSegments } from '../src/mailstore/search-segments.js';
import { forgetSearchTails } from '../src/mailstore/search-text.js';

/** storage-design §D1 list prices (us-east-1, on-demand). */
export const PRICES = {
  rru: 0.125 / 1e6,
  wru: 0.625 / 1e6,
  s3Put: 0.005 / 1000, // PUT, COPY, POST, LIST
  s3Get: 0.0004 / 1000, // GET, HEAD
  dynamoGbMonth: 0.25,
  s3GbMonth: 0.023,
  /** A 512 MB arm64 Lambda invocation of 25 ms (§D2). */
  lambdaInvocation: 0.2 / 1e6 + 0.0000133334 * 0.5 * 0.025,
  /** Data transfer out to the internet, first 10 TB (§D1). */
  egressGb: 0.09,
  /** Fargate arm64 (§D1, "verify"). */
  fargateVcpuHour: 0.03238,
  fargateGbHour: 0.00356,
  /** SES receiving (not in §D1; aws.amazon.com/ses/pricing, "verify"): per 1,000 emails and per 1,000 256 KB chunks. */
  sesPerThousandMails: 0.1,
  sesPerThousandChunks: 0.09,
};

/**
 * What §D3's scenario assumes beyond the commands (its Fargate and Egress columns): the average message (75 KB; the
 * same size prices the S3 storage line), the response of an envelope FETCH (§D2: 10 cold items of 3 KB), and the
 * frontend's share (6 concurrent connections per user, 10k connections per 1 vCPU / 2 GB arm64 task).
 */
export const SCENARIO = {
  messageBytes: 75 * 1024,
  envelopeFetchBytes: 10 * 3 * 1024,
  connectionsPerUser: 6,
  connectionsPerTask: 10_000,
  taskVcpu: 1,
  taskGb: 2,
};

export interface Measured {
  name: string;
  counts: CallCounts;
}

/** What the measured mailbox looked like when SEARCH ran (search segments, src/mailstore/search-segments.ts). */
export interface SearchSetting {
  segments: number;
  sealedUpTo: number;
  /** Bytes of all of INBOX's segment blobs (S3 storage). */
  segmentBytes: number;
  /** Messages above the sealed UID range, matched by the store from their raw bytes (search-docs.ts). */
  unsealed: number;
  /** DynamoDB bytes a stored message costs (measuredItemBytes): what the storage line is priced on. */
  itemBytes: ItemBytes;
}

/**
 * DynamoDB storage per message of the measured INBOX, by item kind, as DynamoDB bills it: the item's size by its
 * documented rules (src/storage/item-size.ts: attribute names + values) + 100 bytes of per-item overhead
 * (docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html, "storage billing").
 */
export interface ItemBytes {
  /** The hot item (M#/U#). */
  hot: number;
  /** The cold item (msgmeta E#), of which `coldText` is its deflated search text (tz: items written before issue #8). */
  cold: number;
  coldText: number;
  /** The RFC 8474 thread lookup items (U#/MID#), spread over the messages. */
  thread: number;
  /** One change-log item of a one-message APPEND (M#/L#, op A): every message adds one in the steady state. */
  log: number;
}

/** Bytes per message if nothing was measured: storage-design §D3's averages (hot 180 B, cold 3 KB, +100 B each). */
const DESIGN_ITEM_BYTES: ItemBytes = { hot: 180 + 100, cold: 3 * 1024 + 100, coldText: 0, thread: 0, log: 0 };

export const bytesPerMessage = (b: ItemBytes): number => b.hot + b.cold + b.thread + b.log;

/** New messages a day (§D3): before SEARCH, INBOX gets one day's worth, which the seal has not packed yet. */
const NEW_PER_DAY = 50;
/** Changes a day to the user's mailboxes (§D3: each triggers a log read on each of 5 watching frontends). */
const CHANGES_PER_DAY = 200;

/** How the cold-SELECT rows are measured. */
export interface ColdSelectSetup {
  /** Starts another frontend on the same tables (its own process in AWS; its own meter and caches here). */
  another(): Promise<LocalStratus>;
  /** The index-snapshot policy of every frontend of the run (default: the store's, DEFAULT_SNAPSHOT_POLICY). */
  policy?: SnapshotPolicy;
  /**
   * Log entries after the snapshot when the other frontend SELECTs (default: half the rewrite threshold, the
   * average between two rewrites).
   */
  tail?: number;
}

export function dollars(c: CallCounts): number {
  // S3 DELETE is free.
  const puts = (c.byOp['blob.put'] ?? 0) + (c.byOp['blob.list'] ?? 0);
  const gets = (c.byOp['blob.get'] ?? 0) + (c.byOp['blob.head'] ?? 0);
  return c.rru * PRICES.rru + c.wru * PRICES.wru + puts * PRICES.s3Put + gets * PRICES.s3Get;
}

function message(i: number, body: Buffer): Buffer {
  return body.length > 0 ? body : Buffer.from(`Subject: m${i}\r\n\r\nbody ${i}\r\n`);
}

/**
 * Fills INBOX with `n` messages, then runs each measured command once on its own and returns its store calls
 * (the whole process's, counted once the server has gone quiet).
 */
export async function measureCommands(
  server: RunningServer,
  n: number,
  progress: (line: string) => void = () => undefined,
  setting: Partial<SearchSetting> = {},
  cold?: ColdSelectSetup,
): Promise<Measured[]> {
  const meter = server.store.meter;
  if (cold?.policy) server.store.ctx.snapshots = cold.policy;
  const user = 'budget@example.com';
  const password = 'budget password 1';
  await addUser(server.store.ctx, user, password);

  const started = Date.now();
  const corpus = makeCorpus(Math.min(n, 2000), 7);
  const filler = await ImapClient.connect({ host: '127.0.0.1', port: server.imapPort!, timeoutMs: 600_000 });
  await filler.login(user, password);
  await filler.capability();
  // MULTIAPPEND (RFC 3502), ≤ 95 messages per transaction.
  for (let done = 0; done < n; ) {
    const batch = Math.min(95, n - done);
    const parts: (string | Buffer)[] = ['APPEND INBOX'];
    for (let j = 0; j < batch; j++) {
      const i = done + j;
      parts.push(i % 3 === 0 ? ' (\\Seen) ' : ' ', message(i, corpus[i % corpus.length]!.raw));
    }
    await filler.command(parts, 'APPEND');
    done += batch;
    if (done % 1900 < 95) progress(`filled ${done}/${n} in ${Math.round((Date.now() - started) / 1000)} s\n`);
  }
  await filler.logout();
  await server.sealsIdle(); // the seal the fill's last commits triggered (background, CPU-heavy between its calls)
  await quiet(meter);

  const measured: Measured[] = [];
  const measure = async (name: string, run: () => Promise<unknown>, on: RunningServer = server): Promise<void> => {
    await on.sealsIdle();
    await quiet(on.store.meter);
    const before = on.store.meter.snapshot();
    await run();
    await on.sealsIdle(); // a seal a write triggered is counted with the write
    await snapshotWritesSettled(); // so is an index snapshot written beside a SELECT
    await quiet(on.store.meter);
    measured.push({ name, counts: CallMeter.diff(on.store.meter.snapshot(), before) });
  };

  const port = server.imapPort!;
  const a = await ImapClient.connect({ host: '127.0.0.1', port, timeoutMs: 600_000 });
  await measure('LOGIN', () => a.login(user, password));
  await a.capability();
  await measure('LIST "" "*"', () => a.command('LIST "" "*"', 'LIST'));
  // The first STATUS of a path in a process reads the name item and META; later ones META alone, with the mailbox
  // id the process remembers as a hint (src/imap/session/mailbox-id-hints.ts).
  await measure('STATUS INBOX (MESSAGES UNSEEN UIDNEXT), path new to this process', () => a.command('STATUS INBOX (MESSAGES UNSEEN UIDNEXT)', 'STATUS'));
  await measure('STATUS INBOX (MESSAGES UNSEEN UIDNEXT), path known to this process', () => a.command('STATUS INBOX (MESSAGES UNSEEN UIDNEXT)', 'STATUS'));
  const policy = cold?.policy ?? DEFAULT_SNAPSHOT_POLICY;
  const writesSnapshot = n >= policy.minMessages ? ', writes the index snapshot' : '';
  await measure(`SELECT INBOX, first open (${n} msgs${writesSnapshot})`, () => a.select('INBOX'));
  const b = await ImapClient.connect({ host: '127.0.0.1', port, timeoutMs: 600_000 });
  await b.login(user, password);
  await measure('SELECT INBOX, cached by the frontend', () => b.select('INBOX'));
  await measure('NOOP', () => b.command('NOOP'));
  const modseq = await highestModseq(a);
  await a.command(`UID STORE ${n - 4}:${n} +FLAGS (\\Flagged)`, 'STORE');
  await measure('FETCH 1:* (FLAGS) CHANGEDSINCE (5 changed)', () => b.command(`FETCH 1:* (FLAGS) (CHANGEDSINCE ${modseq})`, 'FETCH'));
  await measure('UID FETCH 10 msgs (ENVELOPE BODYSTRUCTURE)', () => b.command(`UID FETCH ${n - 19}:${n - 10} (ENVELOPE BODYSTRUCTURE)`, 'FETCH'));
  await measure('UID FETCH 1 msg BODY.PEEK[]', () => b.command(`UID FETCH ${n - 30} (BODY.PEEK[])`, 'FETCH'));
  await measure('UID STORE 1 msg +FLAGS (\\Flagged)', () => b.command(`UID STORE ${n - 31} +FLAGS (\\Flagged)`, 'STORE'));
  const appended = corpus[1]!.raw;
  await measure(`APPEND 1 msg (${appended.length} B) to Sent`, () => b.command(['APPEND Sent ', appended], 'APPEND'));
  await measure('UID COPY 1 msg to Archive', () => b.command(`UID COPY ${n - 32} Archive`, 'COPY'));
  await measure('UID MOVE 1 msg to Archive', () => b.command(`UID MOVE ${n - 33} Archive`, 'MOVE'));
  await b.command(`UID STORE ${n - 34} +FLAGS.SILENT (\\Deleted)`, 'STORE');
  await measure('UID EXPUNGE 1 msg', () => b.command(`UID EXPUNGE ${n - 34}`, 'EXPUNGE'));
  await measure('SEARCH UNSEEN (flags only)', () => b.command('SEARCH UNSEEN', 'SEARCH'));
  // The fill's commits triggered the background seal every 100 UIDs (search-seal.ts); one day's new mail is not
  // sealed yet and is matched by the store from the raw messages (cold items keep no text: search-text.ts).
  const tail: (string | Buffer)[] = ['APPEND INBOX'];
  for (let i = 0; i < NEW_PER_DAY; i++) tail.push(' ', message(n + i, corpus[(n + i) % corpus.length]!.raw));
  await b.command(tail, 'APPEND');
  await server.sealsIdle();
  await quiet(meter);
  const login = await server.store.ctx.kv.get('mail', keys.login(user), { consistent: true });
  const name = await server.store.ctx.kv.get('mail', keys.mailboxName(login!.userId as UserId, 'INBOX'), { consistent: true });
  const inbox = name!.mailboxId as MailboxId;
  const dir = directoryFromItem(await server.store.ctx.kv.get('mail', keys.searchDirectory(inbox), { consistent: true }));
  Object.assign(setting, {
    segments: dir.segments.length,
    sealedUpTo: dir.upTo,
    segmentBytes: dir.segments.reduce((sum, s) => sum + s.bytes, 0),
    unsealed: n + NEW_PER_DAY - dir.upTo,
  });
  const where = `${n + NEW_PER_DAY} msgs: ${dir.segments.length} segments + ${n + NEW_PER_DAY - dir.upTo} unsealed`;
  // In AWS the function that searches is seldom the one that stored, sealed or searched before: each text SEARCH is
  // measured on a cold folded-segment cache (search-segments.ts) and a cold doc cache (search-fresh-docs.ts), as a
  // fresh Lambda would run it: the unsealed tail costs one GET of each raw message (search-docs.ts).
  const coldCaches = (): void => {
    foldedSegments.clear();
    server.store.ctx.freshDocs?.clear();
    forgetSearchTails();
  };
  coldCaches();
  await measure(`SEARCH FROM "carol" (header, ${where})`, () => b.command('SEARCH FROM "carol"', 'SEARCH'));
  coldCaches();
  await measure(`SEARCH BODY "zephyrine" (body, ${where})`, () => b.command('SEARCH BODY "zephyrine"', 'SEARCH'));
  coldCaches();
  await measure(`SEARCH TEXT "zephyrine" (header + body, ${where})`, () => b.command('SEARCH TEXT "zephyrine"', 'SEARCH'));
  server.store.ctx.freshDocs?.clear(); // as for the searches: a seal in another process than the APPENDs GETs the raw messages
  await measure(`seal of ${NEW_PER_DAY} new msgs into the last segment (background)`, () => sealMailbox(server.store.ctx, inbox));
  await measure('LOGOUT', () => b.logout());

  // One delivery through LMTP into INBOX, with `a` still watching it.
  const { client: lmtp } = await LmtpClient.open(server.lmtpPort!);
  await lmtp.command('LHLO bench');
  await measure('LMTP delivery of 1 msg (1 recipient)', async () => {
    await lmtp.command('MAIL FROM:<sender@example.net>');
    await lmtp.command(`RCPT TO:<${user}>`);
    await lmtp.data(Buffer.from(corpus[2]!.raw), 1);
  });
  await lmtp.close();
  if (cold) await measureColdFrontends(a, cold, policy);
  await a.logout();
  setting.itemBytes = await measuredItemBytes(server, inbox, login!.userId as UserId);
  return measured;

  /**
   * The rows of frontends that do not hold INBOX: a cold SELECT from the index snapshot with the log tail after it,
   * the safety poll, the read a change costs another frontend, and the cold SELECT that rewrites the snapshot.
   */
  async function measureColdFrontends(writer: ImapClient, setup: ColdSelectSetup, p: SnapshotPolicy): Promise<void> {
    const target = setup.tail ?? Math.floor(p.everyEntries / 2);
    const tailNow = async (): Promise<number> => {
      const meta = await server.store.ctx.kv.get('mail', keys.mailbox(inbox), { consistent: true });
      const pointer = await readPointer(server.store.ctx, inbox);
      return (meta!.modseq as number) - (pointer?.modseq ?? 0);
    };
    // Single-message flag changes (one log entry each) up to the target tail, on UIDs the rows above left alone.
    const span = n - 40;
    for (let i = 0, t = await tailNow(); t + i < target; i++) {
      const sign = Math.floor(i / span) % 2 === 0 ? '+' : '-';
      await writer.command(`UID STORE ${1 + (i % span)} ${sign}FLAGS.SILENT (\\Answered)`, 'STORE');
    }
    await quiet(meter);
    const tail = await tailNow();
    const pointer = await readPointer(server.store.ctx, inbox);
    const source = pointer ? `from the index snapshot + ${tail} log entries` : `no index snapshot below ${p.minMessages} msgs`;
    const second = await setup.another();
    try {
      second.server.store.ctx.snapshots = p;
      const c = await ImapClient.connect({ host: '127.0.0.1', port: second.server.imapPort!, timeoutMs: 600_000 });
      await c.login(user, password);
      await c.capability();
      await measure(`SELECT INBOX, not cached by this frontend (${source})`, () => c.select('INBOX'), second.server);
      await measure('safety poll of 1 watched mailbox (no change)', () => second.server.safetyPoll(), second.server);
      // A change made through the first frontend, its hint handed to the second as Redis hands it over (the payload
      // written and parsed as on the wire, src/notify/redis-bus.ts): the hint carries the commit's log entry, which
      // the second's cache takes for its session at that MODSEQ (mailbox-cache.ts hinted) — what the row counts is
      // the second frontend's calls while the first commits.
      const publish = server.store.ctx.publishHint;
      server.store.ctx.publishHint = (hint) => {
        publish?.(hint);
        const heard = parseHintPayload(hint.mailboxId, hintPayload('first-frontend', hint));
        if (heard) second.server.hints.publish(heard.hint);
      };
      try {
        await measure('change taken by another frontend from its hint (1 log entry, in the hint)', () => writer.command('UID STORE 3 +FLAGS.SILENT (\\Draft)', 'STORE'), second.server);
      } finally {
        server.store.ctx.publishHint = publish;
      }
      // The session there saw it: its NOOP announces the flag (the row above did not simply miss the hint).
      const noop = await c.command('NOOP', 'NOOP');
      if (!noop.untagged.some((r) => r.kind === 'numbered' && r.name === 'FETCH')) throw new Error('the second frontend did not take the hinted change');
      // A change whose hint the second frontend does not hear (lost, or too big to carry its entry): its poll reads
      // what the hint would have made it read without the entry: META and the one new log entry.
      await writer.command('UID STORE 2 +FLAGS.SILENT (\\Draft)', 'STORE');
      await quiet(meter);
      await measure('change read by another frontend (1 log entry, after a poll or a hint without it)', () => second.server.safetyPoll(), second.server);
      await c.logout();
    } finally {
      await second.close();
    }
    if (!pointer) return;
    // The rewrite: the SELECT of a frontend whose tail reaches the policy's threshold reads the old snapshot, brings
    // it forward and writes it anew (mailboxes.ts refreshInBackground). Measured with the threshold at this tail.
    const third = await setup.another();
    try {
      const now = await tailNow();
      third.server.store.ctx.snapshots = { ...p, everyEntries: now };
      const c = await ImapClient.connect({ host: '127.0.0.1', port: third.server.imapPort!, timeoutMs: 600_000 });
      await c.login(user, password);
      await c.capability();
      await measure(`SELECT INBOX, not cached, rewrites the index snapshot (${now} log entries ≥ the threshold)`, () => c.select('INBOX'), third.server);
      await c.logout();
    } finally {
      await third.close();
    }
  }
}

/** DynamoDB bytes per message of `inbox` (ItemBytes), read back from the tables once the commands are measured. */
async function measuredItemBytes(server: RunningServer, inbox: MailboxId, user: UserId): Promise<ItemBytes> {
  const kv = server.store.ctx.kv;
  const billed = (item: KvItem): number => dynamoItemSize(item) + 100;
  const all = async (pk: string, prefix: string): Promise<KvItem[]> => {
    const out: KvItem[] = [];
    let cursor: string | undefined;
    do {
      const page = await kv.query('mail', { pk, sk: { beginsWith: prefix }, cursor });
      out.push(...page.items);
      cursor = page.cursor;
    } while (cursor);
    return out;
  };
  const hot = await all(`M#${inbox}`, 'U#');
  const emailIds = [...new Set(hot.map((h) => h.e as string))];
  let cold = 0;
  let coldText = 0;
  for (let i = 0; i < emailIds.length; i += 100) {
    for (const item of await kv.batchGet('msgmeta', emailIds.slice(i, i + 100).map((e) => keys.cold(e as EmailId)))) {
      cold += billed(item);
      if (item.tz instanceof Uint8Array) coldText += 2 + item.tz.byteLength;
    }
  }
  const threads = await all(`U#${user}`, 'MID#');
  // The last log item of the INBOX whose op is a one-message A: the LMTP delivery's (flag changes came after it).
  let appended: KvItem | undefined;
  let cursor: string | undefined;
  do {
    const page = await kv.query('mail', { pk: `M#${inbox}`, sk: { beginsWith: 'L#' }, reverse: true, limit: 500, cursor });
    appended = page.items.find((l) => l.op === 'A' && Array.isArray(l.u) && l.u.length === 1);
    cursor = page.cursor;
  } while (!appended && cursor);
  const n = Math.max(1, hot.length);
  return {
    hot: hot.reduce((sum, h) => sum + billed(h), 0) / n,
    cold: cold / Math.max(1, emailIds.length),
    coldText: coldText / Math.max(1, emailIds.length),
    thread: threads.reduce((sum, t) => sum + billed(t), 0) / n,
    log: appended ? billed(appended) : 0,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { messages: { type: 'string', default: '20000' }, json: { type: 'boolean', default: false } },
  });
  const n = Number(values.messages);
  if (!Number.isSafeInteger(n) || n < 100) throw new RangeError('--messages must be an integer ≥ 100');

  const endpoints = await localEndpoints();
  const stratus = await startAwsStratus(endpoints);
  const setting: Partial<SearchSetting> = {};
  const measured = await measureCommands(
    stratus.server,
    n,
    (line) => {
      if (!values.json) process.stderr.write(line);
    },
    setting,
    {
      another: () => startAwsStratus(endpoints, {}, stratus.tables),
      // Below the policy's size no snapshot would be written at all: a small run writes one anyway, so that it
      // measures every row (its first-open row then includes the snapshot write, as a big mailbox's does).
      ...(n < DEFAULT_SNAPSHOT_POLICY.minMessages ? { policy: { ...DEFAULT_SNAPSHOT_POLICY, minMessages: 100 } } : {}),
    },
  );
  await stratus.close();
  await endpoints.stop();

  const report = costReport(measured, n, setting);
  if (values.json) console.log(JSON.stringify({ messages: n, measured, ...report }));
  else console.log(report.markdown);
}

async function highestModseq(client: ImapClient): Promise<number> {
  const result = await client.command('STATUS INBOX (HIGHESTMODSEQ)', 'STATUS');
  for (const r of result.untagged) {
    const text = JSON.stringify(r);
    const m = /HIGHESTMODSEQ\D+(\d+)/.exec(text);
    if (m) return Number(m[1]);
  }
  throw new Error('no HIGHESTMODSEQ in STATUS');
}

/**
 * The safety poll's interval as the AWS deployment runs it by default (STRATUS_MAILBOX_POLL_MS unset, hints through
 * Redis/Valkey: src/config.ts defaultPollMs).
 */
const POLL_MS = loadConfig({ STRATUS_REDIS_URL: 'redis://valkey.invalid:6379' }).mailboxPollMs;
/** Cold SELECTs a day (§D3: 25 of the 300 SELECTs reach a frontend that does not hold the mailbox). */
const COLD_SELECTS = 25;
/**
 * How often the cold SELECT is not the plain one from the index snapshot: a mailbox's first open (once in its life;
 * priced as once a month, an upper bound), and the rewrite once the tail reaches the policy's threshold (§D3's
 * changes a day / everyEntries). Both are measured rows; the plain one takes the remaining cold SELECTs.
 */
const FIRST_OPENS_PER_DAY = 1 / 30;
const REWRITES_PER_DAY = CHANGES_PER_DAY / DEFAULT_SNAPSHOT_POLICY.everyEntries;
const STATUS_NEW_PATHS = 5 * 10;

/** storage-design §D3: the typical user's commands per day (20k messages, 50 new a day, 5 devices). */
const PER_DAY: [string, number][] = [
  ['LOGIN', 120],
  ['SELECT cached', 300 - COLD_SELECTS],
  ['SELECT not cached, from the snapshot', COLD_SELECTS - FIRST_OPENS_PER_DAY - REWRITES_PER_DAY],
  ['SELECT not cached, snapshot rewrite', REWRITES_PER_DAY],
  ['SELECT first open', FIRST_OPENS_PER_DAY],
  // Desktop clients poll the same folders all day: priced as if each of 5 frontends met each of 10 folders anew
  // every day (a restart a day), the rest with the path known.
  ['STATUS, path new to the process', STATUS_NEW_PATHS],
  ['STATUS, path known', 1500 - STATUS_NEW_PATHS],
  ['NOOP', 440],
  ['FETCH FLAGS CHANGEDSINCE', 300],
  ['FETCH ENVELOPE x10', 25],
  ['FETCH BODY[]', 100],
  ['STORE', 80],
  ['APPEND', 20],
  ['MOVE', 40],
  ['EXPUNGE', 10],
  ['COPY', 5],
  ['LIST', 150],
  ['SEARCH flags', 16],
  ['SEARCH header', 3],
  ['SEARCH body', 1],
  ['delivery', 50],
  // 50 new messages a day, sealed every 100 UIDs: counted as one seal of a day's 50 a day (its raw GETs scale with
  // the messages; its segment GET and PUT are counted twice as often as they happen).
  ['seal', 1],
];

const ROW_OF: Record<string, string> = {
  LOGIN: 'LOGIN',
  'SELECT cached': 'SELECT INBOX, cached',
  'SELECT not cached, from the snapshot': 'SELECT INBOX, not cached by this frontend',
  'SELECT not cached, snapshot rewrite': 'SELECT INBOX, not cached, rewrites',
  'SELECT first open': 'SELECT INBOX, first open',
  'STATUS, path new to the process': 'STATUS INBOX (MESSAGES UNSEEN UIDNEXT), path new',
  'STATUS, path known': 'STATUS INBOX (MESSAGES UNSEEN UIDNEXT), path known',
  NOOP: 'NOOP',
  'FETCH FLAGS CHANGEDSINCE': 'FETCH 1:* (FLAGS) CHANGEDSINCE',
  'FETCH ENVELOPE x10': 'UID FETCH 10 msgs',
  'FETCH BODY[]': 'UID FETCH 1 msg BODY',
  STORE: 'UID STORE',
  APPEND: 'APPEND',
  MOVE: 'UID MOVE',
  EXPUNGE: 'UID EXPUNGE',
  COPY: 'UID COPY',
  LIST: 'LIST',
  'SEARCH flags': 'SEARCH UNSEEN',
  'SEARCH header': 'SEARCH FROM',
  'SEARCH body': 'SEARCH BODY',
  delivery: 'LMTP delivery',
  seal: 'seal of',
};

export function costReport(
  measured: Measured[],
  n: number,
  setting: Partial<SearchSetting> = {},
): { markdown: string; perUserMonth: number; everything: number; floor: number } {
  const fmt = (x: number, d = 1): string => (Number.isInteger(x) ? String(x) : x.toFixed(d));
  const lines: string[] = [];
  lines.push(`Per command, mailbox of ${n} messages (DynamoDB Local's reported capacity units):`, '');
  lines.push('| command | KV calls | KV calls by op | RRU | WRU | S3 PUT/GET | $ per 1M commands |');
  lines.push('|---|---:|---|---:|---:|---:|---:|');
  for (const m of measured) {
    const c = m.counts;
    const ops = Object.entries(c.byOp)
      .filter(([op]) => op.startsWith('kv.'))
      .map(([op, k]) => `${op.slice(3)} ${k}`)
      .join(', ');
    const s3 = `${(c.byOp['blob.put'] ?? 0) + (c.byOp['blob.list'] ?? 0)}/${(c.byOp['blob.get'] ?? 0) + (c.byOp['blob.head'] ?? 0)}`;
    lines.push(`| ${m.name} | ${c.kv} | ${ops || '—'} | ${fmt(c.rru)} | ${fmt(c.wru)} | ${s3} | ${(dollars(c) * 1e6).toFixed(2)} |`);
  }
  lines.push('', 'Typical user-month (storage-design §D3: 20k messages, 50 new a day, 5 devices), 30 days:', '');
  lines.push('| commands | per day | $ per month |');
  lines.push('|---|---:|---:|');
  let requests = 0;
  let writes = 0;
  const perDayText = (x: number): string => (Number.isInteger(x) ? String(x) : x.toFixed(2));
  const rowFor = (prefix: string): Measured => {
    const row = measured.find((m) => m.name.startsWith(prefix));
    if (!row) throw new Error(`no measurement for ${prefix}`);
    return row;
  };
  for (const [kind, perDay] of PER_DAY) {
    const row = rowFor(ROW_OF[kind]!);
    const month = dollars(row.counts) * perDay * 30;
    requests += month;
    if (row.counts.wru > 0) writes += perDay * 30;
    lines.push(`| ${kind} | ${perDayText(perDay)} | ${month.toFixed(4)} |`);
  }
  // Change hints: each of ~200 changes a day reaches each of 5 watching frontends with its log entry (a STORE or
  // APPEND of a few messages is far below the 8 KiB a hint carries), taken without a read; each of 5 IDLE sessions'
  // frontends polls its watched mailbox every POLL_MS as the safety net. Both measured rows. (A hint without its
  // entry — a bulk change, a lost hint — costs the 'change read by another frontend' row: META + one log Query.)
  const hintsPerDay = CHANGES_PER_DAY * 5;
  const hints = dollars(rowFor('change taken by another frontend from its hint').counts) * hintsPerDay * 30;
  const pollsPerDay = POLL_MS > 0 ? (5 * 86_400_000) / POLL_MS : 0;
  const polls = dollars(rowFor('safety poll of 1 watched mailbox').counts) * pollsPerDay * 30;
  lines.push(`| change hints (${CHANGES_PER_DAY} changes × 5 frontends, the log entry in the hint: no read) | ${hintsPerDay} | ${hints.toFixed(4)} |`);
  lines.push(`| safety polls (5 watched mailboxes, one META read every ${POLL_MS / 1000} s, the default with Redis) | ${perDayText(pollsPerDay)} | ${polls.toFixed(4)} |`);
  // Storage: what a stored message of the measured INBOX weighs (measuredItemBytes; the design's averages when not
  // measured); 75 KB per message in S3.
  const itemBytes = setting.itemBytes ?? DESIGN_ITEM_BYTES;
  const dynamoGb = (20_000 * bytesPerMessage(itemBytes)) / 1024 ** 3;
  const dynamoStorage = dynamoGb * PRICES.dynamoGbMonth;
  const s3Storage = ((20_000 * 75 * 1024) / 1024 ** 3) * PRICES.s3GbMonth;
  const lambda = writes * PRICES.lambdaInvocation;
  // Search segments: the measured INBOX's blobs, scaled to 20k messages.
  const segmentGb = ((setting.segmentBytes ?? 0) / Math.max(1, setting.sealedUpTo ?? n)) * 20_000 / 1024 ** 3;
  const segmentStorage = segmentGb * PRICES.s3GbMonth;
  const total = requests + hints + polls + dynamoStorage + s3Storage + segmentStorage;
  const kinds = setting.itemBytes
    ? `${Math.round(bytesPerMessage(itemBytes))} B per message: hot ${Math.round(itemBytes.hot)}, cold ${Math.round(itemBytes.cold)} (text ${Math.round(itemBytes.coldText)}), thread ${Math.round(itemBytes.thread)}, log ${Math.round(itemBytes.log)}, each +100 B`
    : "storage-design's averages";
  lines.push(`| DynamoDB storage (${dynamoGb.toFixed(3)} GB: ${kinds}) | | ${dynamoStorage.toFixed(4)} |`);
  lines.push(`| S3 storage (1.5 GB) | | ${s3Storage.toFixed(4)} |`);
  lines.push(`| S3 search segments (${(segmentGb * 1024).toFixed(1)} MB) | | ${segmentStorage.toFixed(4)} |`);
  lines.push(`| **requests + storage** | | **${total.toFixed(4)}** |`);
  lines.push(`| Lambda for the ${writes} write commands (reads inline, §D3 scenario B) | | ${lambda.toFixed(4)} |`);
  lines.push(`| **variable AWS cost, with Lambda** | | **${(total + lambda).toFixed(4)}** |`);
  // What §D3's $0.21–0.28 counts besides: egress of what clients download, and the frontend's Fargate share. No
  // request-path change lowers these, nor the storage lines: together they are the floor of the user-month.
  const gb = 1024 ** 3;
  const perDay = (kind: string): number => PER_DAY.find(([k]) => k === kind)![1];
  const bodyEgress = ((perDay('FETCH BODY[]') * 30 * SCENARIO.messageBytes) / gb) * PRICES.egressGb;
  const envelopeEgress = ((perDay('FETCH ENVELOPE x10') * 30 * SCENARIO.envelopeFetchBytes) / gb) * PRICES.egressGb;
  const taskMonth = (SCENARIO.taskVcpu * PRICES.fargateVcpuHour + SCENARIO.taskGb * PRICES.fargateGbHour) * 24 * 30;
  const fargate = (SCENARIO.connectionsPerUser / SCENARIO.connectionsPerTask) * taskMonth;
  const storage = dynamoStorage + s3Storage + segmentStorage;
  const floor = storage + bodyEgress + envelopeEgress + fargate;
  const everything = total + lambda + bodyEgress + envelopeEgress + fargate;
  const requestLines = total - storage;
  lines.push(
    `| egress of body FETCHes (${perDay('FETCH BODY[]')} a day × ${SCENARIO.messageBytes / 1024} KB, §D3's message, at $${PRICES.egressGb}/GB) | | ${bodyEgress.toFixed(4)} |`,
  );
  lines.push(
    `| egress of envelope FETCHes (${perDay('FETCH ENVELOPE x10')} a day × ${SCENARIO.envelopeFetchBytes / 1024} KB: 10 × §D2's 3 KB) | | ${envelopeEgress.toFixed(4)} |`,
  );
  lines.push(
    `| Fargate share (${SCENARIO.connectionsPerUser} connections per user ÷ ${SCENARIO.connectionsPerTask} per ${SCENARIO.taskVcpu} vCPU / ${SCENARIO.taskGb} GB arm64 task at $${taskMonth.toFixed(2)}/month, §D3's assumption) | | ${fargate.toFixed(4)} |`,
  );
  lines.push(`| **requests + storage + Lambda (as before)** | | **${(total + lambda).toFixed(4)}** |`);
  lines.push(`| **everything the design's $0.21–0.28 counts (+ egress + Fargate)** | | **${everything.toFixed(4)}** |`);
  lines.push(`| floor: storage + egress + Fargate (no request-path change lowers these) | | ${floor.toFixed(4)} |`);
  lines.push(`| of which storage alone (DynamoDB + S3 + search segments) | | ${storage.toFixed(4)} |`);
  lines.push(`| room under ≤ $0.10 for every request line + Lambda, counting everything (0.10 − floor) | | ${(0.1 - floor).toFixed(4)} |`);
  lines.push(`| room under ≤ $0.10 for every request line + Lambda, counting storage only (0.10 − storage) | | ${(0.1 - storage).toFixed(4)} |`);
  lines.push(`| today's request lines + Lambda (requests + hints + polls + Lambda) | | ${(requestLines + lambda).toFixed(4)} |`);
  // Not in §D3: mail that arrives through SES (the AWS deployment's only inbound path) is charged per message too.
  const sesMails = perDay('delivery') * 30;
  const ses = (sesMails / 1000) * (PRICES.sesPerThousandMails + PRICES.sesPerThousandChunks * Math.ceil(SCENARIO.messageBytes / (256 * 1024)));
  lines.push(`| not counted above: SES receiving of the ${sesMails} deliveries, when mail arrives through SES ($0.10/1,000 mails + $0.09/1,000 256 KB chunks, verify) | | (${ses.toFixed(4)}) |`);
  return { markdown: lines.join('\n'), perUserMonth: total + lambda, everything, floor };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
