// Soak run with injected store faults (issue 9 item 2): `stratus serve` with STRATUS_FAULTS, N IMAP clients doing a
// mixed load (APPEND, FETCH, STORE, EXPUNGE, SEARCH, COPY, STATUS) for --minutes, then the server is stopped and the
// invariant check (test/faults/invariants.ts) reads every user's mail straight from the data directory.
//
//   npx tsx bench/soak.ts [--minutes 10] [--clients 8] [--faults on|<spec>] [--seed 1] [--data-dir DIR]
//
// Pass: no answer other than OK or `NO [UNAVAILABLE]` (no BAD, no SERVERBUG, no dropped connection), and 0
// invariant violations. Prints a Markdown summary and one JSON line.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ImapClient, ImapCommandError } from './imap-client.js';
import { addUser, startStratus } from './stratus-process.js';
import { seededRandom } from './corpus.js';
import { SqliteKv } from '../src/storage/sqlite/sqlite-kv.js';
import { FsBlob } from '../src/storage/fs/fs-blob.js';
import { keys } from '../src/mailstore/keys.js';
import { checkUser } from '../test/faults/invariants.js';

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    clients: { type: 'string', default: '8' },
    faults: { type: 'string', default: 'on' },
    seed: { type: 'string', default: '1' },
    'data-dir': { type: 'string' },
  },
});

const minutes = Number(args.minutes);
const clients = Number(args.clients);
const seed = Number(args.seed);
const faultSpec = args.faults === 'on' ? `seed=${seed},throttle=0.02,conflict=0.02,timeout=0.01,unavailable=0.02,slow=0.05,slowMs=20` : args.faults;
const dataDir = args['data-dir'] ?? mkdtempSync(join(tmpdir(), 'stratus-soak-'));
const PASSWORD = 'soak-password';

type Op = 'APPEND' | 'FETCH' | 'STORE' | 'EXPUNGE' | 'SEARCH' | 'COPY' | 'STATUS' | 'LOGIN' | 'SELECT';
interface Tally {
  ok: number;
  unavailable: number;
  other: number;
}
const tallies = new Map<Op, Tally>();
const problems: string[] = [];
let reconnects = 0;

function tally(op: Op): Tally {
  let t = tallies.get(op);
  if (!t) tallies.set(op, (t = { ok: 0, unavailable: 0, other: 0 }));
  return t;
}

/** Runs one command; OK and NO [UNAVAILABLE] are expected under faults, anything else is a problem. */
async function run(op: Op, call: () => Promise<unknown>): Promise<boolean> {
  try {
    await call();
    tally(op).ok += 1;
    return true;
  } catch (err) {
    if (err instanceof ImapCommandError && err.status === 'NO' && err.code === 'UNAVAILABLE') {
      tally(op).unavailable += 1;
      return false;
    }
    tally(op).other += 1;
    if (problems.length < 50) {
      problems.push(`${op}: ${(err as Error).message}`);
      process.stderr.write(`soak: ${op}: ${(err as Error).message}\n`);
    }
    throw err;
  }
}

function message(random: () => number, n: number): Buffer {
  const body = 'x'.repeat(Math.floor(random() * 4000));
  return Buffer.from(`From: soak${n}@example.org\r\nTo: user@example.com\r\nSubject: soak ${n}\r\nMessage-ID: <soak-${n}@example.org>\r\n\r\n${body}\r\n`);
}

async function session(port: number, login: string, random: () => number, deadline: number): Promise<void> {
  const client = await ImapClient.connect({ host: '127.0.0.1', port, timeoutMs: 60_000 });
  try {
    while (!(await run('LOGIN', () => client.login(login, PASSWORD)))) if (Date.now() > deadline) return;
    while (!(await run('SELECT', () => client.select('INBOX')))) if (Date.now() > deadline) return;
    let n = 0;
    while (Date.now() < deadline) {
      const pick = random();
      const count = client.exists;
      if (pick < 0.35 || count === 0) {
        await run('APPEND', () => client.append('INBOX', message(random, n++), random() < 0.3 ? ['\\Seen'] : []));
      } else if (pick < 0.5) {
        await run('FETCH', () => client.fetch('1:*', '(UID FLAGS RFC822.SIZE)'));
      } else if (pick < 0.65) {
        const seq = 1 + Math.floor(random() * count);
        await run('STORE', () => client.store(String(seq), random() < 0.5 ? '+FLAGS (\\Seen)' : '-FLAGS (\\Seen)'));
      } else if (pick < 0.75) {
        const seq = 1 + Math.floor(random() * count);
        if (await run('STORE', () => client.store(String(seq), '+FLAGS (\\Deleted)'))) await run('EXPUNGE', () => client.command('EXPUNGE'));
      } else if (pick < 0.85) {
        await run('SEARCH', () => client.search('UNSEEN'));
      } else if (pick < 0.92) {
        const seq = 1 + Math.floor(random() * count);
        await run('COPY', () => client.command(`COPY ${seq} Archive`));
      } else {
        await run('STATUS', () => client.command('STATUS Archive (MESSAGES UNSEEN)'));
      }
    }
    await client.logout();
  } finally {
    client.close();
  }
}

async function worker(port: number, index: number, deadline: number): Promise<void> {
  const random = seededRandom(seed * 1000 + index);
  const login = `soak${index}@example.com`;
  while (Date.now() < deadline) {
    try {
      await session(port, login, random, deadline);
    } catch {
      // Counted in `problems` (or a dropped connection): reconnect and go on, the run reports it.
      reconnects += 1;
    }
  }
}

async function main(): Promise<void> {
  const logins = Array.from({ length: clients }, (_, i) => `soak${i}@example.com`);
  for (const login of logins) await addUser(dataDir, login, PASSWORD);
  const server = await startStratus({ dataDir, env: { STRATUS_FAULTS: faultSpec } });
  const started = Date.now();
  const deadline = started + minutes * 60_000;
  const progress = setInterval(() => {
    const done = [...tallies.values()].reduce((a, t) => a + t.ok + t.unavailable + t.other, 0);
    process.stderr.write(`soak: ${Math.round((Date.now() - started) / 1000)} s, ${done} commands, ${problems.length} problems\n`);
  }, 60_000);
  await Promise.all(logins.map((_, i) => worker(server.port, i, deadline)));
  clearInterval(progress);
  const elapsed = (Date.now() - started) / 1000;
  const exit = await server.stop();
  const serverErrors = exit.stdout.split('\n').filter((line) => /"level":(50|60)/.test(line));
  const faultLine = exit.stdout.split('\n').find((line) => line.includes('injected store faults'));
  const injected = faultLine ? (JSON.parse(faultLine) as { injected: Record<string, number> }).injected : undefined;

  const kv = new SqliteKv(join(dataDir, 'stratus.sqlite'));
  const blob = new FsBlob(join(dataDir, 'blobs'));
  const violations: string[] = [];
  let messages = 0;
  for (const login of logins) {
    const user = await kv.get('mail', keys.login(login), { consistent: true });
    if (!user) {
      violations.push(`${login}: no such user`);
      continue;
    }
    const report = await checkUser(kv, user.userId as string, { blob });
    messages += report.messages;
    violations.push(...report.violations.map((v) => `${login}: ${v}`));
  }
  await kv.close();
  await blob.close();

  const total = [...tallies.values()].reduce((a, t) => ({ ok: a.ok + t.ok, unavailable: a.unavailable + t.unavailable, other: a.other + t.other }), { ok: 0, unavailable: 0, other: 0 });
  console.log(`\n## Soak: ${clients} clients, ${(elapsed / 60).toFixed(1)} min, STRATUS_FAULTS=${faultSpec}\n`);
  console.log('| command | OK | NO [UNAVAILABLE] | other |\n|---|---:|---:|---:|');
  for (const [op, t] of [...tallies.entries()].sort()) console.log(`| ${op} | ${t.ok} | ${t.unavailable} | ${t.other} |`);
  console.log(`| total | ${total.ok} | ${total.unavailable} | ${total.other} |\n`);
  console.log(`faults injected by the server: ${JSON.stringify(injected ?? 'not reported')}`);
  console.log(`reconnects: ${reconnects}; server error lines: ${serverErrors.length}; messages at the end: ${messages}; invariant violations: ${violations.length}`);
  for (const line of [...problems.slice(0, 10), ...serverErrors.slice(0, 5), ...violations.slice(0, 20)]) console.log(`  ${line}`);
  const pass = violations.length === 0 && total.other === 0 && serverErrors.length === 0 && exit.code === 0;
  console.log(JSON.stringify({ soak: { clients, minutes: elapsed / 60, faults: faultSpec, ...total, injected, reconnects, serverErrors: serverErrors.length, messages, violations: violations.length, exit: exit.code, pass } }));
  if (!args['data-dir']) rmSync(dataDir, { recursive: true, force: true });
  process.exitCode = pass ? 0 : 1;
}

await main();
