// KV reads of one `FETCH 1:n (ENVELOPE BODYSTRUCTURE)` (issue #3 "Done when": at most ⌈n/100⌉). DESIGN.md "The
// frontend": ENVELOPE and BODYSTRUCTURE cost one batched read of cold items per 100 messages, nothing else.
//
//   npx tsx bench/envelope-fetch.ts [--messages 1000] [--backend sqlite|dynamodb|both] [--json]
//
// For each backend: starts Stratus in this process (SQLite + files in a temp dir, or DynamoDB Local + the S3
// stand-in from test/services.mjs unless STRATUS_TEST_DYNAMODB_ENDPOINT, STRATUS_TEST_S3_ENDPOINT and
// STRATUS_TEST_S3_BUCKET name running ones), fills INBOX with n corpus messages by MULTIAPPEND, opens a fresh
// session, SELECTs, and counts the port calls the FETCH makes with the process's CallMeter.
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { makeCorpus } from './corpus.js';
import { ImapClient } from './imap-client.js';
import { localEndpoints, quiet, startAwsStratus, startSqliteStratus, type AwsEndpoints } from './local-stratus.js';
import { addUser } from '../src/mailstore/directory.js';
import { CallMeter, type CallCounts } from '../src/storage/metered.js';

export interface EnvelopeFetchResult {
  messages: number;
  /** kv.get + kv.batchGet + kv.query made while answering the FETCH. */
  kvReads: number;
  budget: number;
  counts: CallCounts;
  /** FETCH responses received (must equal `messages`). */
  fetched: number;
}

const KV_READS = ['kv.get', 'kv.batchGet', 'kv.query'];

/** Fills INBOX of `user` with `n` messages (MULTIAPPEND, ≤ 95 per command, RFC 3502). */
export async function fillInbox(port: number, user: string, password: string, n: number): Promise<void> {
  const corpus = makeCorpus(Math.min(n, 500), 3);
  const client = await ImapClient.connect({ host: '127.0.0.1', port, timeoutMs: 600_000 });
  await client.login(user, password);
  await client.capability();
  for (let done = 0; done < n; ) {
    const batch = Math.min(95, n - done);
    const parts: (string | Buffer)[] = ['APPEND INBOX'];
    for (let j = 0; j < batch; j++) parts.push(' ', corpus[(done + j) % corpus.length]!.raw);
    await client.command(parts, 'APPEND');
    done += batch;
  }
  await client.logout();
}

/** One FETCH 1:n (ENVELOPE BODYSTRUCTURE) on a fresh session, with the port calls it made. */
export async function measureEnvelopeFetch(port: number, meter: CallMeter, user: string, password: string, n: number): Promise<EnvelopeFetchResult> {
  const client = await ImapClient.connect({ host: '127.0.0.1', port, timeoutMs: 600_000 });
  await client.login(user, password);
  await client.select('INBOX');
  await quiet(meter);
  const before = meter.snapshot();
  const result = await client.command(`FETCH 1:${n} (ENVELOPE BODYSTRUCTURE)`, 'FETCH');
  await quiet(meter);
  const counts = CallMeter.diff(meter.snapshot(), before);
  await client.logout();
  const kvReads = KV_READS.reduce((sum, op) => sum + (counts.byOp[op] ?? 0), 0);
  return { messages: n, kvReads, budget: Math.ceil(n / 100), counts, fetched: result.untagged.filter((r) => r.kind === 'numbered' && r.name === 'FETCH').length };
}

async function run(backend: 'sqlite' | 'dynamodb', n: number, endpoints: () => Promise<AwsEndpoints>): Promise<EnvelopeFetchResult> {
  const stratus = backend === 'sqlite' ? await startSqliteStratus() : await startAwsStratus(await endpoints());
  try {
    const { server } = stratus;
    const user = 'envelope@example.com';
    const password = 'envelope bench 1';
    await addUser(server.store.ctx, user, password);
    await fillInbox(server.imapPort!, user, password, n);
    return await measureEnvelopeFetch(server.imapPort!, server.store.meter, user, password, n);
  } finally {
    await stratus.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      messages: { type: 'string', default: '1000' },
      backend: { type: 'string', default: 'both' },
      json: { type: 'boolean', default: false },
    },
  });
  const n = Number(values.messages);
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError('--messages must be a positive integer');
  const backends = values.backend === 'both' ? (['sqlite', 'dynamodb'] as const) : [values.backend as 'sqlite' | 'dynamodb'];
  let stop = async (): Promise<void> => undefined;
  let cached: AwsEndpoints | undefined;
  const endpoints = async (): Promise<AwsEndpoints> => {
    if (!cached) {
      const services = await localEndpoints();
      stop = () => services.stop();
      cached = services;
    }
    return cached;
  };
  const rows: (EnvelopeFetchResult & { backend: string })[] = [];
  try {
    for (const backend of backends) rows.push({ backend, ...(await run(backend, n, endpoints)) });
  } finally {
    await stop();
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  } else {
    process.stdout.write(
      '| backend | messages | FETCH responses | KV reads | budget ⌈n/100⌉ | calls by op | blob calls | read capacity units |\n' +
        '|---|---:|---:|---:|---:|---|---:|---:|\n',
    );
    for (const r of rows) {
      const ops = Object.entries(r.counts.byOp).map(([op, count]) => `${op} ${count}`).join(', ');
      const rru = r.backend === 'sqlite' ? 'n/a' : String(r.counts.rru);
      process.stdout.write(`| ${r.backend} | ${r.messages} | ${r.fetched} | ${r.kvReads} | ${r.budget} | ${ops} | ${r.counts.blob} | ${rru} |\n`);
    }
  }
  if (rows.some((r) => r.kvReads > r.budget || r.fetched !== r.messages)) process.exitCode = 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
