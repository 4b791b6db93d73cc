// A/B server CPU per command (issue #8): two servers — this tree's and the one at ENTRY_B (another checkout's
// src/cli.ts) — measured in interleaved batches, so both see the same machine load. Server CPU (all threads, /proc)
// per command for each of CMDS (';'-separated, {n} = 1..MSGS) on a mailbox of MSGS corpus messages.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImapClient } from './imap-client.js';
import { makeCorpus } from './corpus.js';
import { addUser, startStratus } from './stratus-process.js';

function cpuOf(pid: number): number {
  let t = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    const s = readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    t += (Number(f[11]) + Number(f[12])) * 10;
  }
  return t;
}
const msgs = Number(process.env.MSGS ?? 20);
async function start(entry: string | undefined) {
  const dataDir = mkdtempSync(join(tmpdir(), 'abprobe-'));
  await addUser(dataDir, 'u@example.com', 'pw');
  const server = await startStratus({ dataDir, env: { STRATUS_COMMAND_RATE: process.env.RATE ?? '0' }, ...(entry ? { nodeArgs: ['--import', 'tsx'], entry } : {}) });
  const c = await ImapClient.connect({ host: '127.0.0.1', port: server.port, timeoutMs: 60000 });
  await c.login('u@example.com', 'pw');
  for (const m of makeCorpus(msgs, 7)) await c.append('INBOX', m.raw);
  await c.select('INBOX');
  return { server, c, pid: server.pid! };
}
const a = await start(process.env.ENTRY_A);
const b = await start(process.env.ENTRY_B);
const n = Number(process.env.N ?? 5000);
const batch = 250;
const out: string[] = [];
for (const cmd of (process.env.CMDS ?? 'NOOP').split(';')) {
  const text = (i: number): string => cmd.replace('{n}', String((i % msgs) + 1));
  for (const s of [a, b]) for (let i = 0; i < 2000; i++) await s.c.command(text(i), 'X');
  let ta = 0;
  let tb = 0;
  for (let done = 0; done < n; done += batch) {
    for (const [s, add] of [[a, (x: number) => (ta += x)], [b, (x: number) => (tb += x)]] as const) {
      const before = cpuOf(s.pid);
      for (let i = done; i < done + batch; i++) await s.c.command(text(i), 'X');
      add(cpuOf(s.pid) - before);
    }
  }
  out.push(`${cmd}: new ${((ta / n) * 1000).toFixed(1)} µs, base ${((tb / n) * 1000).toFixed(1)} µs (${(((ta - tb) / tb) * 100).toFixed(1)} %)`);
}
console.log(out.join('\n'));
for (const s of [a, b]) {
  s.c.close();
  await s.server.stop();
}
