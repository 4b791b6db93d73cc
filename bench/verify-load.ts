// Sustained load with verification (issue 9 item 5): N IMAP clients for M minutes per backend, each on its own
// mailbox, each keeping its own model of that mailbox (UIDs in order, flags per UID, UIDNEXT) and checking every
// answer the server gives against it: APPENDUID, EXISTS, FETCH FLAGS after STORE, EXPUNGE sequence numbers, SEARCH
// results, a full FETCH 1:* (UID FLAGS) and a re-SELECT now and then. Reports every disagreement (must be 0).
//
//   npx tsx bench/verify-load.ts [--clients 50] [--minutes 5] [--backend both|embedded|aws] [--seed 1]
//
// The server runs in this process exactly as `stratus serve` wires it (the AWS backend against DynamoDB Local and
// the S3 stand-in, started here unless STRATUS_TEST_DYNAMODB_ENDPOINT etc. are set); clients talk to it over TCP.
import { parseArgs } from 'node:util';
import { ImapClient, type CommandResult } from './imap-client.js';
import { seededRandom } from './corpus.js';
import { localEndpoints, startAwsStratus, startSqliteStratus } from './local-stratus.js';
import type { RunningServer } from '../src/server/main.js';
import { addUser } from '../src/mailstore/directory.js';
import type { ImapValue } from './imap-parser.js';

const { values: args } = parseArgs({
  options: {
    clients: { type: 'string', default: '50' },
    minutes: { type: 'string', default: '5' },
    backend: { type: 'string', default: 'both' },
    seed: { type: 'string', default: '1' },
  },
});
const clients = Number(args.clients);
const minutes = Number(args.minutes);
const seed = Number(args.seed);
const PASSWORD = 'verify-load-password';
const KEYWORDS = ['\\Seen', '\\Flagged', '\\Answered', '$Label1'];

interface Model {
  uids: number[];
  flags: Map<number, Set<string>>;
  uidNext: number;
}

interface Outcome {
  commands: number;
  disagreements: string[];
  errors: string[];
}

const flagSet = (value: ImapValue | undefined): Set<string> =>
  new Set((Array.isArray(value) ? value : []).map(String).filter((f) => f.toLowerCase() !== '\\recent'));
const sameSet = (a: Set<string>, b: Set<string>) => a.size === b.size && [...a].every((x) => b.has(x));
const show = (s: Set<string>) => `(${[...s].sort().join(' ')})`;

async function runClient(port: number, index: number, deadline: number, out: Outcome): Promise<void> {
  const random = seededRandom(seed * 7919 + index);
  const login = `load${index}@example.com`;
  const disagree = (what: string) => {
    if (out.disagreements.length < 200) out.disagreements.push(`${login}: ${what}`);
  };
  const client = await ImapClient.connect({ host: '127.0.0.1', port, timeoutMs: 120_000 });
  const model: Model = { uids: [], flags: new Map(), uidNext: 1 };
  const run = async (parts: Parameters<ImapClient['command']>[0], name?: string): Promise<CommandResult> => {
    out.commands += 1;
    return client.command(parts, name);
  };
  await client.login(login, PASSWORD);
  const select = async () => {
    const sel = await client.select('INBOX');
    out.commands += 1;
    if (sel.exists !== model.uids.length) disagree(`SELECT: EXISTS ${sel.exists}, model ${model.uids.length}`);
    if (sel.uidNext !== model.uidNext) disagree(`SELECT: UIDNEXT ${String(sel.uidNext)}, model ${model.uidNext}`);
  };
  await select();
  const fetchAll = async () => {
    if (model.uids.length === 0) {
      // "1:*" names no message in an empty mailbox (RFC 9051 §9 seq-number): ask NOOP and compare EXISTS instead.
      await run('NOOP');
      if (client.exists !== 0) disagree(`NOOP: EXISTS ${client.exists}, model 0`);
      return;
    }
    const rows = await client.fetch('1:*', '(UID FLAGS)');
    out.commands += 1;
    if (rows.length !== model.uids.length) disagree(`FETCH 1:*: ${rows.length} messages, model ${model.uids.length}`);
    for (const row of rows) {
      const uid = Number(row.items.get('UID'));
      if (model.uids[row.seq - 1] !== uid) disagree(`FETCH 1:*: seq ${row.seq} is UID ${uid}, model ${String(model.uids[row.seq - 1])}`);
      const expected = model.flags.get(uid);
      const got = flagSet(row.items.get('FLAGS'));
      if (!expected || !sameSet(expected, got)) disagree(`FETCH 1:*: UID ${uid} flags ${show(got)}, model ${expected ? show(expected) : 'none'}`);
    }
  };
  let n = 0;
  while (Date.now() < deadline) {
    const pick = random();
    const count = model.uids.length;
    if (pick < 0.3 || count === 0) {
      const flags = KEYWORDS.filter(() => random() < 0.25);
      const body = Buffer.from(`From: load@example.org\r\nSubject: ${login} ${n++}\r\nMessage-ID: <${login}-${n}@x>\r\n\r\nbody ${'y'.repeat(Math.floor(random() * 2000))}\r\n`);
      const res = await run([`APPEND INBOX${flags.length ? ` (${flags.join(' ')})` : ''} `, body], 'APPEND');
      const code = res.completion.resp;
      const uid = code.code === 'APPENDUID' ? Number(code.codeArgs.split(' ')[1]) : NaN;
      if (uid !== model.uidNext) disagree(`APPEND: APPENDUID ${code.codeArgs}, model expects UID ${model.uidNext}`);
      const assigned = Number.isFinite(uid) ? uid : model.uidNext;
      model.uids.push(assigned);
      model.flags.set(assigned, new Set(flags));
      model.uidNext = assigned + 1;
      await run('NOOP');
      if (client.exists !== model.uids.length) disagree(`APPEND: EXISTS ${client.exists}, model ${model.uids.length}`);
    } else if (pick < 0.5) {
      const seq = 1 + Math.floor(random() * count);
      const uid = model.uids[seq - 1]!;
      const flag = KEYWORDS[Math.floor(random() * KEYWORDS.length)]!;
      const add = random() < 0.6;
      const rows = await client.store(String(seq), `${add ? '+' : '-'}FLAGS (${flag})`);
      out.commands += 1;
      const mine = model.flags.get(uid)!;
      if (add) mine.add(flag);
      else mine.delete(flag);
      const row = rows.find((r) => r.seq === seq);
      if (!row) disagree(`STORE ${seq}: no FETCH FLAGS answer`);
      else if (!sameSet(flagSet(row.items.get('FLAGS')), mine)) disagree(`STORE ${seq} (UID ${uid}): ${show(flagSet(row.items.get('FLAGS')))}, model ${show(mine)}`);
    } else if (pick < 0.62) {
      // Mark one or two messages \Deleted and EXPUNGE: the EXPUNGE responses must name exactly those, in order.
      const victims = new Set([model.uids[Math.floor(random() * count)]!, model.uids[Math.floor(random() * count)]!]);
      for (const uid of victims) {
        await run(`UID STORE ${uid} +FLAGS.SILENT (\\Deleted)`);
        model.flags.get(uid)!.add('\\Deleted');
      }
      const res = await run('EXPUNGE');
      const expunged = res.untagged.filter((r) => r.kind === 'numbered' && r.name === 'EXPUNGE').map((r) => (r.kind === 'numbered' ? r.number : 0));
      const next = [...model.uids];
      for (let i = 0; i < next.length; ) {
        if (model.flags.get(next[i]!)!.has('\\Deleted')) {
          model.flags.delete(next[i]!);
          next.splice(i, 1);
        } else i++;
      }
      // Each EXPUNGE number counts in the numbering left by the ones before it (RFC 3501 §7.4.1): replay them.
      const removed = replay(model.uids, expunged);
      const wanted = new Set(model.uids.filter((u) => !next.includes(u)));
      if (removed === null || removed.size !== wanted.size || ![...removed].every((u) => wanted.has(u))) {
        disagree(`EXPUNGE: server said ${JSON.stringify(expunged)}, model removes UIDs ${JSON.stringify([...wanted])}`);
      }
      model.uids = next;
    } else if (pick < 0.72) {
      const hits = await client.search('UNSEEN');
      out.commands += 1;
      const expected = model.uids.map((u, i) => (model.flags.get(u)!.has('\\Seen') ? 0 : i + 1)).filter((s) => s > 0);
      if (hits.join(',') !== expected.join(',')) disagree(`SEARCH UNSEEN: ${hits.length} hits, model ${expected.length}`);
    } else if (pick < 0.92) {
      await fetchAll();
    } else {
      await select();
    }
  }
  await fetchAll();
  await client.logout();
}

/** Applies EXPUNGE sequence numbers to the UIDs as they were; the UIDs removed, or null when a number is out of range. */
function replay(uids: readonly number[], expunged: readonly number[]): Set<number> | null {
  const list = [...uids];
  const removed = new Set<number>();
  for (const seq of expunged) {
    if (seq < 1 || seq > list.length) return null;
    removed.add(list[seq - 1]!);
    list.splice(seq - 1, 1);
  }
  return removed;
}

async function runBackend(name: string, server: RunningServer): Promise<Record<string, unknown>> {
  for (let i = 0; i < clients; i++) await addUser(server.store.ctx, `load${i}@example.com`, PASSWORD);
  const out: Outcome = { commands: 0, disagreements: [], errors: [] };
  const started = Date.now();
  const deadline = started + minutes * 60_000;
  await Promise.all(
    Array.from({ length: clients }, (_, i) =>
      runClient(server.imapPort!, i, deadline, out).catch((err: unknown) => {
        out.errors.push(`load${i}: ${(err as Error).message}`);
      }),
    ),
  );
  const seconds = (Date.now() - started) / 1000;
  console.log(`\n## verify-load on ${name}: ${clients} clients, ${(seconds / 60).toFixed(1)} min\n`);
  console.log(`commands: ${out.commands} (${Math.round(out.commands / seconds)}/s); disagreements: ${out.disagreements.length}; client errors: ${out.errors.length}`);
  for (const line of [...out.disagreements.slice(0, 20), ...out.errors.slice(0, 10)]) console.log(`  ${line}`);
  return { backend: name, clients, minutes: seconds / 60, commands: out.commands, disagreements: out.disagreements.length, errors: out.errors.length };
}

async function main(): Promise<void> {
  const results: Record<string, unknown>[] = [];
  if (args.backend === 'both' || args.backend === 'embedded') {
    const local = await startSqliteStratus({ STRATUS_AUTH_FAILURE_DELAY_MS: '0' });
    try {
      results.push(await runBackend('sqlite+fs', local.server));
    } finally {
      await local.close();
    }
  }
  if (args.backend === 'both' || args.backend === 'aws') {
    const services = await localEndpoints();
    const aws = await startAwsStratus(services);
    try {
      results.push(await runBackend('dynamodb-local+s3', aws.server));
    } finally {
      await aws.close();
      await services.stop();
    }
  }
  const pass = results.every((r) => r.disagreements === 0 && r.errors === 0);
  console.log(JSON.stringify({ verifyLoad: { seed, results, pass } }));
  process.exitCode = pass ? 0 : 1;
}

await main();
