// Server CPU per command for the commands every session pays for, one command type at a time over TCP (issue #8):
// `stratus serve` in a child process (stratus-process.ts), one user with a mailbox of --messages messages, then
// phases of --count commands each: NOOP (the session's fixed cost), STORE n ±FLAGS (\Seen), SELECT of the cached
// mailbox, FETCH 1:* (FLAGS), and LOGIN + LOGOUT on a fresh connection (the password is verified once, then
// remembered). The server's CPU is read from /proc (server-cpu.ts) over each phase's window, so load from other
// processes does not count; --strace FILE counts the server's system calls per phase (writes per command).
//
//   npx tsx bench/command-cpu.ts [--count 2000] [--messages 200] [--stats 1] [--cpu-prof DIR] [--phases noop,store]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { ImapClient } from './imap-client.js';
import { makeCorpus } from './corpus.js';
import { ServerCpuSampler } from './server-cpu.js';
import { addUser, startStratus } from './stratus-process.js';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '2000' },
    messages: { type: 'string', default: '200' },
    stats: { type: 'string', default: '1' },
    'cpu-prof': { type: 'string' },
    phases: { type: 'string', default: 'noop,store,select,fetch,login' },
    /** Counts the server's system calls during each phase (strace -c) into FILE.<phase>. */
    strace: { type: 'string' },
  },
});
const count = Number(values.count);
const messages = Number(values.messages);
const phases = values.phases.split(',');
const cpuProfDir = values['cpu-prof'] === undefined ? undefined : resolve(values['cpu-prof']);

const dataDir = mkdtempSync(join(tmpdir(), 'stratus-command-cpu-'));
const login = 'cpu@example.test';
const password = 'bench-password';
await addUser(dataDir, login, password);
const server = await startStratus({
  dataDir,
  env: values.stats === '1' ? { STRATUS_STATS: '1' } : {},
  ...(cpuProfDir !== undefined ? { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', cpuProfDir] } : {}),
});
const sampler = new ServerCpuSampler(server.pid!);
sampler.start(5);
const connect = (): Promise<ImapClient> => ImapClient.connect({ host: '127.0.0.1', port: server.port });

const rows: { phase: string; commands: number; cpuMs: number; wallMs: number; userTicks: number; systemTicks: number }[] = [];
/** utime and stime of the server process, in clock ticks (fields 14 and 15 of /proc/<pid>/stat). */
function ticks(): [number, number] {
  const stat = readFileSync(`/proc/${server.pid}/stat`, 'utf8');
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return [Number(rest[11]), Number(rest[12])];
}
async function phase(name: string, n: number, run: (i: number) => Promise<void>): Promise<void> {
  if (!phases.includes(name)) return;
  await run(-1); // warm-up: first-use compilation and caches are not what we measure
  const tracer = values.strace === undefined ? undefined : spawn('strace', ['-c', '-f', '-p', String(server.pid), '-o', `${values.strace}.${name}`]);
  if (tracer) await new Promise((r) => setTimeout(r, 1000));
  const before = ticks();
  const from = performance.now();
  for (let i = 0; i < n; i++) await run(i);
  const to = performance.now();
  const after = ticks();
  if (tracer) {
    tracer.kill('SIGINT');
    await new Promise((r) => tracer.once('exit', r));
  }
  rows.push({
    phase: name,
    commands: n,
    cpuMs: sampler.cpuMsBetween(from, to),
    wallMs: to - from,
    userTicks: after[0] - before[0],
    systemTicks: after[1] - before[1],
  });
}

try {
  const client = await connect();
  await client.login(login, password);
  for (const m of makeCorpus(messages, 7)) await client.append('INBOX', m.raw);
  await client.select('INBOX');
  await phase('noop', count, async () => void (await client.command('NOOP')));
  // The load's STORE: a sequence number, +FLAGS (\Seen), answered with FETCH FLAGS (bench/workload.ts).
  await phase('store', count, async (i) => {
    const seq = (Math.max(i, 0) % messages) + 1;
    await client.command(`STORE ${seq} ${i % 2 === 0 ? '+' : '-'}FLAGS (\\Seen)`, 'STORE');
  });
  await phase('select', Math.ceil(count / 4), async () => void (await client.select('INBOX')));
  // One FETCH response per message: what coalescing the writes of a command is worth on a long answer.
  await phase('fetch', Math.ceil(count / 20), async () => void (await client.command('FETCH 1:* (FLAGS)', 'FETCH')));
  await client.logout();
  await phase('login', Math.ceil(count / 10), async () => {
    const c = await connect();
    await c.login(login, password);
    await c.logout();
  });
} finally {
  sampler.stop();
  const exit = await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
  if (exit.code !== 0) console.error(`server exited ${String(exit.code ?? exit.signal)}`);
  // Store calls per command, as the server counted them (STRATUS_STATS=1): what each command costs in calls.
  for (const [name, stat] of Object.entries(exit.stats ?? {})) {
    const perCommand = Object.entries(stat.byOp).map(([op, n]) => `${op} ${(n / stat.count).toFixed(2)}`);
    console.log(`${name.padEnd(10)} ×${stat.count}: ${perCommand.join(', ') || 'no store call'}`);
  }
}

console.log(`messages ${messages}, STRATUS_STATS=${values.stats}`);
console.log('phase      commands  server CPU ms/cmd  wall ms/cmd  user:system');
for (const r of rows) {
  console.log(
    `${r.phase.padEnd(10)} ${String(r.commands).padStart(8)}  ${(r.cpuMs / r.commands).toFixed(3).padStart(17)}  ${(r.wallMs / r.commands).toFixed(3).padStart(11)}  ${r.userTicks}:${r.systemTicks}`,
  );
}
