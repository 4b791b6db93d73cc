// SELECT of a very large mailbox (issue #8 item 3): generates an N-message INBOX directly through the store layer
// (hot items in 100-item transactions, one change-log entry, META's counters, and the index snapshot at that
// MODSEQ — no MIME parsing, it is SELECT that is measured, not APPEND), then starts a fresh `stratus serve` on the
// same store and measures with a real IMAP client: LOGIN, SELECT time, and the server's memory (after a full GC,
// bench/memory-probe.mjs) before and after SELECT. Optionally FETCH 1:* (FLAGS) over every message.
//
//   npx tsx bench/big-mailbox.ts --backend sqlite --messages 1000000 [--fetch]
//   npx tsx bench/big-mailbox.ts --backend aws --messages 200000      # DynamoDB Local + the S3 stand-in
//   npx tsx bench/big-mailbox.ts --backend sqlite --messages 1000000 --data-dir /tmp/big1m   # kept; reused next time
//
// --data-dir (SQLite only) keeps the generated store and, when it already holds one of that size, skips generation.
// --snapshot-format 1|2 (with --data-dir) rewrites the stored snapshot in place in that format first: format 1 is how
// snapshots were written before the size envelope (index-snapshot.ts), so the two read paths compare on one store.
//
// emailIds are distinct ULIDs (as real mail has), so the frontend's columns are what a real mailbox costs; only the
// last two messages have bodies in the blob store.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { loadConfig } from '../src/config.js';
import { openStore } from '../src/server/store.js';
import { addUser } from '../src/mailstore/directory.js';
import { DynamoKv } from '../src/storage/dynamodb/dynamo-kv.js';
import type { TxAction } from '../src/storage/kv.js';
import { keys, blobKeys } from '../src/mailstore/keys.js';
import { HotColumns } from '../src/mailstore/hot-columns.js';
import { writeSnapshot } from '../src/mailstore/snapshots.js';
import { decodeSnapshot, encodeSnapshot, encodeSnapshotV1 } from '../src/mailstore/index-snapshot.js';
import { newId, type MailboxId, type TenantId, type UserId } from '../src/mailstore/ids.js';
import { FLAG_FLAGGED, FLAG_SEEN } from '../src/mailstore/flags.js';
import { startStratus, REPO_ROOT } from './stratus-process.js';
import { ImapClient } from './imap-client.js';
import { localEndpoints } from './local-stratus.js';

interface Options {
  backend: 'sqlite' | 'aws';
  messages: number;
  fetch: boolean;
  json: boolean;
  dataDir?: string;
  snapshotFormat?: 1 | 2;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { backend: 'sqlite', messages: 1_000_000, fetch: false, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--backend') o.backend = argv[++i] === 'aws' ? 'aws' : 'sqlite';
    else if (a === '--messages') o.messages = Number(argv[++i]);
    else if (a === '--fetch') o.fetch = true;
    else if (a === '--json') o.json = true;
    else if (a === '--data-dir') o.dataDir = argv[++i];
    else if (a === '--snapshot-format') o.snapshotFormat = argv[++i] === '1' ? 1 : 2;
  }
  return o;
}

const LOGIN = 'big@example.com';
const PASSWORD = 'big mailbox password 1';

interface Memory {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

/** Asks the server (memory-probe.mjs preloaded) for a post-GC memory sample and waits for it. */
async function sample(pid: number, file: string, seq: number): Promise<Memory> {
  process.kill(pid, 'SIGUSR2');
  for (let i = 0; i < 600; i++) {
    if (existsSync(file)) {
      const lines = readFileSync(file, 'utf8').trim().split('\n').filter(Boolean);
      const last = lines.map((l) => JSON.parse(l) as Memory & { seq: number }).find((m) => m.seq === seq);
      if (last) return last;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('no memory sample from the server');
}

/** The process's CPU time (user + system) in ms, from /proc (10 ms ticks): SELECT's cost when wall time is noisy. */
function cpuMsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

const tinyBody = (emailId: string): Buffer => Buffer.from(`Subject: big ${emailId}\r\n\r\nhello\r\n`);

/** Step 1: the mailbox, generated through the store layer; returns what was measured on the way. */
async function generate(o: Options, env: Record<string, string>): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const store = openStore(loadConfig({ ...env, STRATUS_LOG_LEVEL: 'warn' }));
  const { ctx } = store;
  const user = await addUser(ctx, LOGIN, PASSWORD);
  const tenantId = user.tenantId as TenantId;
  const userId = user.userId as UserId;
  const name = await ctx.kv.get('mail', keys.mailboxName(userId, 'INBOX'), { consistent: true });
  const mailboxId = name!.mailboxId as MailboxId;
  const meta = await ctx.kv.get('mail', keys.mailbox(mailboxId), { consistent: true });
  const modseq = (meta!.modseq as number) + 1;
  const started = Date.now();
  const columns = new HotColumns();
  const base = Date.UTC(2020, 0, 1);
  let unseen = 0;
  let bytes = 0;
  const emailIds: string[] = [];
  let nextUid = 1;
  let written = 0;
  /** The next 100 hot items as one transaction, added to the columns in UID order as they are made. */
  const take = (): TxAction[] => {
    const batch: TxAction[] = [];
    for (; nextUid <= o.messages && batch.length < 100; nextUid++) {
      const uid = nextUid;
      const date = base + uid * 60_000;
      const emailId = newId(date);
      const flags = (uid % 10 < 7 ? FLAG_SEEN : 0) | (uid % 50 === 0 ? FLAG_FLAGGED : 0);
      const keywords = uid % 100 === 0 ? ['$Junk'] : [];
      const withBody = uid > o.messages - 2;
      const size = withBody ? tinyBody(emailId).length : 2000 + ((uid * 7919) % 60000);
      if (!(flags & FLAG_SEEN)) unseen++;
      bytes += size;
      const item = { ...keys.message(mailboxId, uid as never), e: emailId, f: flags, m: modseq, z: size, d: date, s: date, ...(keywords.length ? { k: keywords } : {}) };
      batch.push({ type: 'put', table: 'mail', item });
      columns.push({ uid, flags, keywords, modseq, size, date, emailId, saveDate: date });
      if (withBody) emailIds.push(emailId);
    }
    return batch;
  };
  const parallel = o.backend === 'aws' ? 8 : 1;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      for (let batch = take(); batch.length > 0; batch = take()) {
        await ctx.kv.transactWrite(batch);
        written += batch.length;
        if (written % 100_000 === 0 && !o.json) process.stderr.write(`  ${written} items, ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
      }
    }),
  );
  // Two tiny bodies, so FETCH BODY works on the last messages.
  for (const e of emailIds) {
    const body = tinyBody(e);
    await ctx.blob.put(blobKeys.message(tenantId, userId, e as never), body, body.length);
  }
  // One log entry for the bulk load (MODSEQ stays dense) and META's counters (I4).
  await ctx.kv.transactWrite([
    {
      type: 'update',
      table: 'mail',
      key: keys.mailbox(mailboxId),
      update: { set: { modseq, uidNext: o.messages + 1, messages: o.messages, unseen, deleted: 0, bytes } },
      condition: { op: 'eq', attr: 'modseq', value: modseq - 1 },
    },
    { type: 'put', table: 'mail', item: { ...keys.log(mailboxId, modseq as never), op: 'N', by: 'bench' } },
  ]);
  out.generateSeconds = (Date.now() - started) / 1000;
  const snapStarted = Date.now();
  const pointer = await writeSnapshot(ctx, { tenantId, userId, mailboxId }, columns, modseq);
  out.snapshotWriteSeconds = (Date.now() - snapStarted) / 1000;
  const head = await ctx.blob.head(pointer!.key);
  out.snapshotBytes = head?.size;
  out.columnBytes = columns.bytes;
  await store.close();
  return out;
}

/** Rewrites every snapshot file under `dir` in `format`; returns the format. */
function rewriteSnapshots(dir: string, format: 1 | 2): number {
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.snap')) continue;
    const path = join(entry.parentPath ?? entry.path, entry.name);
    const { columns, modseq } = decodeSnapshot(readFileSync(path));
    writeFileSync(path, (format === 1 ? encodeSnapshotV1 : encodeSnapshot)(columns, modseq));
  }
  return format;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const keep = o.backend === 'sqlite' && o.dataDir !== undefined;
  const dataDir = keep ? o.dataDir! : mkdtempSync(join(tmpdir(), 'stratus-big-'));
  if (keep) mkdirSync(dataDir, { recursive: true });
  const generatedFile = join(dataDir, 'big-mailbox.json');
  let env: Record<string, string> = { STRATUS_DATA_DIR: dataDir };
  let stopServices = async (): Promise<void> => undefined;
  if (o.backend === 'aws') {
    const ep = await localEndpoints();
    stopServices = ep.stop;
    const run = randomUUID().slice(0, 8);
    const tables = { mail: `stratus-big-${run}-mail`, msgmeta: `stratus-big-${run}-msgmeta` };
    const dynamo = new DynamoDBClient({ endpoint: ep.dynamodbEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    await DynamoKv.createTables(dynamo, tables);
    dynamo.destroy();
    process.env.AWS_ACCESS_KEY_ID ??= 'local';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
    process.env.AWS_REGION ??= 'us-east-1';
    env = {
      ...env,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_REGION: 'us-east-1',
      STRATUS_BACKEND: 'aws',
      STRATUS_DYNAMODB_ENDPOINT: ep.dynamodbEndpoint,
      STRATUS_S3_ENDPOINT: ep.s3Endpoint,
      STRATUS_S3_BUCKET: ep.s3Bucket,
      STRATUS_TABLE_MAIL: tables.mail,
      STRATUS_TABLE_MSGMETA: tables.msgmeta,
      STRATUS_TOKEN_KEY: randomBytes(32).toString('base64'),
      STRATUS_ADMIN_TOKEN: randomBytes(16).toString('hex'),
    };
  }
  const out: Record<string, unknown> = { backend: o.backend, messages: o.messages };
  try {
    const generated = keep && existsSync(generatedFile) ? (JSON.parse(readFileSync(generatedFile, 'utf8')) as Record<string, unknown>) : undefined;
    if (generated && generated.messages !== o.messages) throw new Error(`${dataDir} holds ${String(generated.messages)} messages, not ${o.messages}`);
    if (generated) Object.assign(out, generated, { reused: dataDir });
    else Object.assign(out, await generate(o, env));
    if (keep && !generated) writeFileSync(generatedFile, JSON.stringify(out));
    if (keep && o.snapshotFormat) out.snapshotFormat = rewriteSnapshots(join(dataDir, 'blobs'), o.snapshotFormat);

    // 2. A fresh server on that store; memory sampled after a full GC.
    const memFile = join(dataDir, 'memory.jsonl');
    rmSync(memFile, { force: true });
    const server = await startStratus({
      dataDir,
      env: {
        ...env,
        NODE_OPTIONS: `--import ${join(REPO_ROOT, 'bench/memory-probe.mjs')}`,
        STRATUS_BENCH_MEMORY_FILE: memFile,
        STRATUS_IMAPS_PORT: 'off',
        STRATUS_ALLOW_PLAINTEXT_AUTH: 'true',
      },
      startTimeoutMs: 180_000,
    });
    try {
      const client = await ImapClient.connect({ host: '127.0.0.1', port: server.port, timeoutMs: 600_000 });
      await client.login(LOGIN, PASSWORD);
      const before = await sample(server.pid!, memFile, 1);
      const cpu0 = cpuMsOf(server.pid!);
      const t0 = process.hrtime.bigint();
      const selected = await client.select('INBOX');
      out.selectMs = Number(process.hrtime.bigint() - t0) / 1e6;
      out.selectServerCpuMs = cpuMsOf(server.pid!) - cpu0;
      out.exists = selected.exists;
      const after = await sample(server.pid!, memFile, 2);
      out.memoryDeltaMB = {
        rss: (after.rss - before.rss) / 2 ** 20,
        heapUsed: (after.heapUsed - before.heapUsed) / 2 ** 20,
        arrayBuffers: (after.arrayBuffers - before.arrayBuffers) / 2 ** 20,
        external: (after.external - before.external) / 2 ** 20,
      };
      out.memoryAfterMB = { rss: after.rss / 2 ** 20, heapUsed: after.heapUsed / 2 ** 20 };
      // A second session selecting the same mailbox shares the cache's columns.
      const second = await ImapClient.connect({ host: '127.0.0.1', port: server.port, timeoutMs: 600_000 });
      await second.login(LOGIN, PASSWORD);
      const t1 = process.hrtime.bigint();
      await second.select('INBOX');
      out.secondSelectMs = Number(process.hrtime.bigint() - t1) / 1e6;
      const afterSecond = await sample(server.pid!, memFile, 3);
      out.secondSessionDeltaMB = { rss: (afterSecond.rss - after.rss) / 2 ** 20, heapUsed: (afterSecond.heapUsed - after.heapUsed) / 2 ** 20 };
      const t2 = process.hrtime.bigint();
      const last = await client.fetch(`${o.messages - 1}:*`, '(UID FLAGS RFC822.SIZE INTERNALDATE BODY.PEEK[])');
      out.fetchLastTwoMs = Number(process.hrtime.bigint() - t2) / 1e6;
      out.fetchedLast = last.length;
      if (o.fetch) {
        const t3 = process.hrtime.bigint();
        const all = await client.fetch('1:*', '(FLAGS)');
        out.fetchAllFlagsMs = Number(process.hrtime.bigint() - t3) / 1e6;
        out.fetchedAll = all.length;
      }
      await second.logout();
      await client.logout();
    } catch (err) {
      const exit = await server.stop();
      process.stderr.write(`server log:\n${exit.stdout.slice(-4000)}\n${exit.stderr.slice(-4000)}\n`);
      throw err;
    }
    await server.stop();
  } finally {
    await stopServices();
    if (!keep) rmSync(dataDir, { recursive: true, force: true });
  }
  console.log(JSON.stringify(out, null, o.json ? 0 : 2));
}

await main();
