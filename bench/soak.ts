// Soak run with injected store faults (issue 9 item 2): `stratus serve` with STRATUS_FAULTS, N IMAP clients doing a
// mixed load (APPEND, FETCH, STORE, EXPUNGE, SEARCH, COPY, MOVE, RENAME, STATUS) for --minutes, then the server is
// stopped and `stratus fsck`'s invariant check (src/mailstore/fsck.ts) reads every user's mail straight from the
// store, plus test/faults/applied-once.ts (no emailId twice in INBOX or the MOVE target: nothing applied twice).
//
//   npx tsx bench/soak.ts [--minutes 10] [--clients 8] [--faults on|<spec>] [--seed 1] [--backend embedded|aws]
//                         [--data-dir DIR]
//
// --backend aws runs the server on its AWS backend against DynamoDB Local and the S3 stand-in (started here unless
// STRATUS_TEST_DYNAMODB_ENDPOINT etc. are set; fresh tables per run).
//
// Each client keeps a model of the mailbox its MOVEs fill (its name, which RENAME toggles between Moved-A and
// Moved-B, and its message count) and checks every answer against it: a MOVE answers COPYUID and one EXPUNGE for the
// message moved, STATUS gives the modelled count, after RENAME only the new name exists. A `NO [UNAVAILABLE]` leaves
// the outcome open, so the model is read again from the server (a resync, counted) instead of checked.
//
// Pass: no answer other than OK or `NO [UNAVAILABLE]` (no BAD, no SERVERBUG, no dropped connection), 0 model
// disagreements and 0 invariant violations. Prints a Markdown summary and one JSON line.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { ImapClient, ImapCommandError, type CommandResult } from './imap-client.js';
import { addUser, startStratus } from './stratus-process.js';
import { seededRandom } from './corpus.js';
import { localEndpoints } from './local-stratus.js';
import type { BlobStore } from '../src/storage/blob.js';
import type { KvStore } from '../src/storage/kv.js';
import { SqliteKv } from '../src/storage/sqlite/sqlite-kv.js';
import { FsBlob } from '../src/storage/fs/fs-blob.js';
import { DynamoKv } from '../src/storage/dynamodb/dynamo-kv.js';
import { S3Blob } from '../src/storage/s3/s3-blob.js';
import { fsck } from '../src/mailstore/fsck.js';
import { appliedOnce } from '../test/faults/applied-once.js';

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    clients: { type: 'string', default: '8' },
    faults: { type: 'string', default: 'on' },
    seed: { type: 'string', default: '1' },
    backend: { type: 'string', default: 'embedded' },
    'data-dir': { type: 'string' },
  },
});

const minutes = Number(args.minutes);
const clients = Number(args.clients);
const seed = Number(args.seed);
const backend = args.backend === 'aws' ? 'aws' : 'embedded';
if (args.backend !== backend) throw new Error(`--backend is embedded or aws, not ${String(args.backend)}`);
const faultSpec = args.faults === 'on' ? `seed=${seed},throttle=0.02,conflict=0.02,timeout=0.01,unavailable=0.02,slow=0.05,slowMs=20` : args.faults;
const dataDir = args['data-dir'] ?? mkdtempSync(join(tmpdir(), 'stratus-soak-'));
const PASSWORD = 'soak-password';
/** The two names of the mailbox MOVE fills; RENAME toggles between them. */
const MOVED = ['Moved-A', 'Moved-B'] as const;

type Op = 'APPEND' | 'FETCH' | 'STORE' | 'EXPUNGE' | 'SEARCH' | 'COPY' | 'MOVE' | 'RENAME' | 'CREATE' | 'LIST' | 'STATUS' | 'LOGIN' | 'SELECT';
interface Tally {
  ok: number;
  unavailable: number;
  other: number;
}
const tallies = new Map<Op, Tally>();
const problems: string[] = [];
const disagreements: string[] = [];
const checked = { moves: 0, renames: 0, statuses: 0, resyncs: 0 };
let reconnects = 0;

function tally(op: Op): Tally {
  let t = tallies.get(op);
  if (!t) tallies.set(op, (t = { ok: 0, unavailable: 0, other: 0 }));
  return t;
}

/** Runs one command; OK and NO [UNAVAILABLE] are expected under faults, anything else is a problem. */
async function ask<T>(op: Op, call: () => Promise<T>): Promise<T | 'unavailable'> {
  try {
    const value = await call();
    tally(op).ok += 1;
    return value;
  } catch (err) {
    if (err instanceof ImapCommandError && err.status === 'NO' && err.code === 'UNAVAILABLE') {
      tally(op).unavailable += 1;
      return 'unavailable';
    }
    tally(op).other += 1;
    if (problems.length < 50) {
      problems.push(`${op}: ${(err as Error).message}`);
      process.stderr.write(`soak: ${op}: ${(err as Error).message}\n`);
    }
    throw err;
  }
}

async function run(op: Op, call: () => Promise<unknown>): Promise<boolean> {
  return (await ask(op, call)) !== 'unavailable';
}

function message(random: () => number, n: number): Buffer {
  const body = 'x'.repeat(Math.floor(random() * 4000));
  return Buffer.from(`From: soak${n}@example.org\r\nTo: user@example.com\r\nSubject: soak ${n}\r\nMessage-ID: <soak-${n}@example.org>\r\n\r\n${body}\r\n`);
}

/** A client's model of the mailbox its MOVEs fill; `stale` after an answer that left the outcome open. */
interface MovedModel {
  name: string;
  count: number;
  stale: boolean;
}

const codes = (res: CommandResult) => [res.completion.resp, ...res.untagged.flatMap((r) => (r.kind === 'status' ? [r.resp] : []))];

class Checker {
  constructor(
    private readonly client: ImapClient,
    private readonly login: string,
    readonly model: MovedModel,
  ) {}

  disagree(what: string): void {
    if (disagreements.length < 200) disagreements.push(`${this.login}: ${what}`);
    process.stderr.write(`soak: disagreement: ${this.login}: ${what}\n`);
  }

  /** The names of the MOVE target that exist now (LIST), or 'unavailable'. */
  async names(): Promise<string[] | 'unavailable'> {
    const res = await ask('LIST', () => this.client.command('LIST "" "Moved-*"'));
    if (res === 'unavailable') return res;
    return res.untagged.flatMap((r) => (r.kind === 'data' && r.name === 'LIST' ? [String(r.values[2])] : []));
  }

  /** MESSAGES of a mailbox by STATUS, or 'unavailable'. */
  async messages(name: string): Promise<number | 'unavailable'> {
    const res = await ask('STATUS', () => this.client.command(`STATUS ${name} (MESSAGES)`));
    if (res === 'unavailable') return res;
    const data = res.untagged.find((r) => r.kind === 'data' && r.name === 'STATUS');
    const items = data?.kind === 'data' && Array.isArray(data.values[1]) ? data.values[1] : [];
    const at = items.findIndex((v) => String(v).toUpperCase() === 'MESSAGES');
    return at < 0 ? NaN : Number(items[at + 1]);
  }

  /** Reads name and count from the server (creating the mailbox on first use) until it answers. */
  async resync(deadline: number): Promise<boolean> {
    while (Date.now() < deadline) {
      const names = await this.names();
      if (names === 'unavailable') continue;
      if (names.length > 1) this.disagree(`both ${names.join(' and ')} exist (a RENAME applied half?)`);
      if (names.length === 0) {
        await ask('CREATE', () => this.client.command(`CREATE ${MOVED[0]}`));
        continue; // whatever it answered, LIST tells
      }
      const count = await this.messages(names[0]!);
      if (count === 'unavailable') continue;
      Object.assign(this.model, { name: names[0]!, count, stale: false });
      checked.resyncs += 1;
      return true;
    }
    return false;
  }

  /** STATUS of the MOVE target against the model. */
  async check(deadline: number): Promise<void> {
    if (this.model.stale) {
      await this.resync(deadline);
      return;
    }
    const count = await this.messages(this.model.name);
    if (count === 'unavailable') return;
    checked.statuses += 1;
    if (count !== this.model.count) this.disagree(`STATUS ${this.model.name}: MESSAGES ${count}, model ${this.model.count}`);
  }

  async move(seq: number, deadline: number): Promise<void> {
    if (this.model.stale && !(await this.resync(deadline))) return;
    const res = await ask('MOVE', () => this.client.command(`MOVE ${seq} ${this.model.name}`));
    if (res === 'unavailable') {
      this.model.stale = true; // moved or not: read it back
      return;
    }
    checked.moves += 1;
    // RFC 6851 §4.3: COPYUID naming one message each side, and one EXPUNGE for the message that was moved.
    const expunged = res.untagged.flatMap((r) => (r.kind === 'numbered' && r.name === 'EXPUNGE' ? [r.number] : []));
    if (expunged.length !== 1 || expunged[0] !== seq) this.disagree(`MOVE ${seq}: EXPUNGE ${JSON.stringify(expunged)}`);
    const copyuid = codes(res).find((c) => c.code === 'COPYUID');
    const parts = copyuid?.codeArgs.split(' ') ?? [];
    if (parts.length !== 3 || parts[1]!.includes(':') || parts[1]!.includes(',')) this.disagree(`MOVE ${seq}: COPYUID "${copyuid?.codeArgs ?? 'missing'}"`);
    this.model.count += 1;
  }

  async rename(deadline: number): Promise<void> {
    if (this.model.stale && !(await this.resync(deadline))) return;
    const from = this.model.name;
    const to = from === MOVED[0] ? MOVED[1] : MOVED[0];
    const res = await ask('RENAME', () => this.client.command(`RENAME ${from} ${to}`));
    if (res === 'unavailable') {
      this.model.stale = true;
      return;
    }
    checked.renames += 1;
    this.model.name = to;
    const names = await this.names();
    if (names !== 'unavailable' && (names.length !== 1 || names[0] !== to)) this.disagree(`RENAME ${from} ${to}: LIST says ${JSON.stringify(names)}`);
    await this.check(deadline);
  }
}

async function session(port: number, login: string, model: MovedModel, random: () => number, deadline: number): Promise<void> {
  const client = await ImapClient.connect({ host: '127.0.0.1', port, timeoutMs: 60_000 });
  try {
    while (!(await run('LOGIN', () => client.login(login, PASSWORD)))) if (Date.now() > deadline) return;
    while (!(await run('SELECT', () => client.select('INBOX')))) if (Date.now() > deadline) return;
    const checker = new Checker(client, login, model);
    model.stale = true; // a new session (perhaps after a reconnect) reads the model again first
    let n = 0;
    while (Date.now() < deadline) {
      const pick = random();
      const count = client.exists;
      if (pick < 0.35 || count === 0) {
        await run('APPEND', () => client.append('INBOX', message(random, n++), random() < 0.3 ? ['\\Seen'] : []));
      } else if (pick < 0.48) {
        await run('FETCH', () => client.fetch('1:*', '(UID FLAGS RFC822.SIZE)'));
      } else if (pick < 0.61) {
        const seq = 1 + Math.floor(random() * count);
        await run('STORE', () => client.store(String(seq), random() < 0.5 ? '+FLAGS (\\Seen)' : '-FLAGS (\\Seen)'));
      } else if (pick < 0.7) {
        const seq = 1 + Math.floor(random() * count);
        if (await run('STORE', () => client.store(String(seq), '+FLAGS (\\Deleted)'))) await run('EXPUNGE', () => client.command('EXPUNGE'));
      } else if (pick < 0.78) {
        await run('SEARCH', () => client.search('UNSEEN'));
      } else if (pick < 0.84) {
        const seq = 1 + Math.floor(random() * count);
        await run('COPY', () => client.command(`COPY ${seq} Archive`));
      } else if (pick < 0.91) {
        await checker.move(1 + Math.floor(random() * count), deadline);
      } else if (pick < 0.93) {
        await checker.rename(deadline);
      } else if (pick < 0.96) {
        await run('STATUS', () => client.command('STATUS Archive (MESSAGES UNSEEN)'));
      } else {
        await checker.check(deadline);
      }
    }
    await checker.check(Date.now() + 60_000);
    await client.logout();
  } finally {
    client.close();
  }
}

async function worker(port: number, index: number, deadline: number): Promise<void> {
  const random = seededRandom(seed * 1000 + index);
  const login = `soak${index}@example.com`;
  const model: MovedModel = { name: MOVED[0], count: 0, stale: true };
  while (Date.now() < deadline) {
    try {
      await session(port, login, model, random, deadline);
    } catch {
      // Counted in `problems` (or a dropped connection): reconnect and go on, the run reports it.
      reconnects += 1;
    }
  }
}

/** The backend's environment for `stratus serve` / `stratus user add`, its ports for the check, and its cleanup. */
interface Backend {
  env: Record<string, string>;
  open(): { kv: KvStore; blob: BlobStore };
  stop(): Promise<void>;
}

async function embeddedBackend(): Promise<Backend> {
  return {
    env: {},
    open: () => ({ kv: new SqliteKv(join(dataDir, 'stratus.sqlite')), blob: new FsBlob(join(dataDir, 'blobs')) }),
    stop: async () => undefined,
  };
}

async function awsBackend(): Promise<Backend> {
  const services = await localEndpoints();
  const run = randomUUID().slice(0, 8);
  const tables = { mail: `stratus-soak-${run}-mail`, msgmeta: `stratus-soak-${run}-msgmeta` };
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  const dynamo = new DynamoDBClient({ endpoint: services.dynamodbEndpoint, region: 'us-east-1', credentials });
  await DynamoKv.createTables(dynamo, tables);
  const s3 = new S3Client({
    endpoint: services.s3Endpoint,
    region: 'us-east-1',
    credentials,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return {
    env: {
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_REGION: 'us-east-1',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      STRATUS_BACKEND: 'aws',
      STRATUS_DYNAMODB_ENDPOINT: services.dynamodbEndpoint,
      STRATUS_S3_ENDPOINT: services.s3Endpoint,
      STRATUS_S3_BUCKET: services.s3Bucket,
      STRATUS_TABLE_MAIL: tables.mail,
      STRATUS_TABLE_MSGMETA: tables.msgmeta,
      STRATUS_TOKEN_KEY: randomBytes(32).toString('base64'),
      STRATUS_ALLOW_PLAINTEXT_AUTH: 'true',
    },
    open: () => ({ kv: new DynamoKv({ client: dynamo, tables }), blob: new S3Blob({ client: s3, bucket: services.s3Bucket }) }),
    async stop() {
      dynamo.destroy();
      s3.destroy();
      await services.stop();
    },
  };
}

async function main(): Promise<void> {
  const store = backend === 'aws' ? await awsBackend() : await embeddedBackend();
  const logins = Array.from({ length: clients }, (_, i) => `soak${i}@example.com`);
  for (const login of logins) await addUser(dataDir, login, PASSWORD, 120_000, store.env);
  const server = await startStratus({ dataDir, env: { ...store.env, STRATUS_FAULTS: faultSpec } });
  const started = Date.now();
  const deadline = started + minutes * 60_000;
  const progress = setInterval(() => {
    const done = [...tallies.values()].reduce((a, t) => a + t.ok + t.unavailable + t.other, 0);
    process.stderr.write(`soak: ${Math.round((Date.now() - started) / 1000)} s, ${done} commands, ${problems.length} problems, ${disagreements.length} disagreements\n`);
  }, 60_000);
  await Promise.all(logins.map((_, i) => worker(server.port, i, deadline)));
  clearInterval(progress);
  const elapsed = (Date.now() - started) / 1000;
  const exit = await server.stop();
  const serverErrors = exit.stdout.split('\n').filter((line) => /"level":(50|60)/.test(line));
  const faultLine = exit.stdout.split('\n').find((line) => line.includes('injected store faults'));
  const injected = faultLine ? (JSON.parse(faultLine) as { injected: Record<string, number> }).injected : undefined;

  // The server is stopped: `stratus fsck`'s check reads every user's mail straight from the store.
  const { kv, blob } = store.open();
  const ctx = { kv, blob, tokenKey: randomBytes(32), maxMessageBytes: 64 * 1024 * 1024 };
  const violations: string[] = [];
  let messages = 0;
  for (const login of logins) {
    const report = await fsck(ctx, { user: login });
    messages += report.messages;
    violations.push(...report.violations.map((v) => `${login}: ${v.mailbox ?? ''} ${v.kind}: ${v.detail}`));
    violations.push(...(await appliedOnce(ctx, { user: login }, ['INBOX', ...MOVED])));
  }
  await kv.close();
  await blob.close();
  await store.stop();

  const total = [...tallies.values()].reduce((a, t) => ({ ok: a.ok + t.ok, unavailable: a.unavailable + t.unavailable, other: a.other + t.other }), { ok: 0, unavailable: 0, other: 0 });
  console.log(`\n## Soak (${backend}): ${clients} clients, ${(elapsed / 60).toFixed(1)} min, STRATUS_FAULTS=${faultSpec}\n`);
  console.log('| command | OK | NO [UNAVAILABLE] | other |\n|---|---:|---:|---:|');
  for (const [op, t] of [...tallies.entries()].sort()) console.log(`| ${op} | ${t.ok} | ${t.unavailable} | ${t.other} |`);
  console.log(`| total | ${total.ok} | ${total.unavailable} | ${total.other} |\n`);
  console.log(`faults injected by the server: ${JSON.stringify(injected ?? 'not reported')}`);
  console.log(`model checks: ${checked.moves} MOVEs, ${checked.renames} RENAMEs, ${checked.statuses} STATUS counts, ${checked.resyncs} resyncs; disagreements: ${disagreements.length}`);
  console.log(`reconnects: ${reconnects}; server error lines: ${serverErrors.length}; messages at the end: ${messages}; invariant violations: ${violations.length}`);
  for (const line of [...problems.slice(0, 10), ...disagreements.slice(0, 10), ...serverErrors.slice(0, 5), ...violations.slice(0, 20)]) console.log(`  ${line}`);
  const pass = violations.length === 0 && disagreements.length === 0 && total.other === 0 && serverErrors.length === 0 && exit.code === 0;
  console.log(
    JSON.stringify({
      soak: { backend, clients, minutes: elapsed / 60, faults: faultSpec, ...total, injected, checked, disagreements: disagreements.length, reconnects, serverErrors: serverErrors.length, messages, violations: violations.length, exit: exit.code, pass },
    }),
  );
  if (!args['data-dir']) rmSync(dataDir, { recursive: true, force: true });
  process.exitCode = pass ? 0 : 1;
}

await main();
