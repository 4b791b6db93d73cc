// Server CPU per APPEND with several clients appending at once, split by thread: the main thread (JavaScript,
// SQLite) and the other threads (libuv's pool: file writes and fsyncs of blob files; V8's GC helpers).
//
//   STRATUS_COMMAND_RATE is set to 0 for the server.   npx tsx bench/append-concurrent-cpu.ts [--users 10] [--messages 200]
//
// Starts `stratus serve` (stratus-process.ts) on a temporary data directory, adds `--users` users, logs each in on
// its own connection and warms up with one APPEND; then every client APPENDs its own corpus (corpus.ts, ≈6 KB per
// message) one after another, all clients at once. The figure is the utime + stime of each thread of the server
// process (/proc/<pid>/task/*/stat) over the appends plus 3 s for background work (search-segment seals) to settle,
// divided by the APPENDs. Compare builds by this figure, not by the wall clock, on a shared machine.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ImapClient } from './imap-client.js';
import { makeCorpus } from './corpus.js';
import { addUser, startStratus } from './stratus-process.js';

const { values } = parseArgs({ options: { users: { type: 'string', default: '10' }, messages: { type: 'string', default: '200' } } });
const users = Number(values.users);
const perUser = Number(values.messages);
const TICK_MS = 10; // CLK_TCK = 100 on Linux

/** CPU ms per thread group ('main', or the thread's name), user and system apart. */
function threadCpu(pid: number): Map<string, { user: number; system: number }> {
  const out = new Map<string, { user: number; system: number }>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const group = tid === String(pid) ? 'main' : `other (${name})`;
    const sum = out.get(group) ?? { user: 0, system: 0 };
    sum.user += Number(fields[11]) * TICK_MS;
    sum.system += Number(fields[12]) * TICK_MS;
    out.set(group, sum);
  }
  return out;
}

const dataDir = mkdtempSync(join(tmpdir(), 'stratus-append-cpu-'));
try {
  for (let u = 0; u < users; u++) await addUser(dataDir, `u${u}@example.com`, 'pw');
  const server = await startStratus({ dataDir, env: { STRATUS_COMMAND_RATE: '0' } });
  const pid = server.pid;
  if (pid === undefined) throw new Error('no server pid');
  const clients = await Promise.all(
    Array.from({ length: users }, async (_, u) => {
      const client = await ImapClient.connect({ host: '127.0.0.1', port: server.port, timeoutMs: 120_000 });
      await client.login(`u${u}@example.com`, 'pw');
      return client;
    }),
  );
  const corpora = clients.map((_, u) => makeCorpus(perUser, 1000 * (u + 1) + 1));
  await clients[0]!.append('INBOX', corpora[0]![0]!.raw);
  const before = threadCpu(pid);
  const started = performance.now();
  await Promise.all(clients.map(async (client, u) => {
    for (const message of corpora[u]!) await client.append('INBOX', message.raw);
  }));
  const wallMs = performance.now() - started;
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const after = threadCpu(pid);
  const n = users * perUser;
  let total = 0;
  const rows: string[] = [];
  for (const [group, cpu] of after) {
    const was = before.get(group) ?? { user: 0, system: 0 };
    const user = cpu.user - was.user;
    const system = cpu.system - was.system;
    total += user + system;
    if (user + system > 0) rows.push(`| ${group} | ${((user / n) * 1000).toFixed(0)} | ${((system / n) * 1000).toFixed(0)} |`);
  }
  console.log(`APPEND ×${n} (${users} clients at once): server CPU ${((total / n) * 1000).toFixed(0)} µs per APPEND, ${((n / wallMs) * 1000).toFixed(0)} APPEND/s`);
  console.log('| thread | user µs / APPEND | system µs / APPEND |\n|---|---:|---:|');
  for (const row of rows.sort()) console.log(row);
  for (const client of clients) client.close();
  await server.stop();
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
