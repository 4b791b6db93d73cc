// Server CPU per command, split by thread (main thread vs libuv pool and V8 helper threads, user vs system), for
// one command repeated on one connection of `stratus serve` (issue #8: the fixed cost every command pays). The
// per-connection command rate limit is off (STRATUS_COMMAND_RATE=0) unless RATE says otherwise: with it on, a loop
// of more than 1000 commands measures the token bucket's sleeps. Also prints the client's own CPU per command.
//
//   N=20000 [CMD=NOOP] [RATE=0] [ENTRY=built-cli.mjs] [NODEARGS="--cpu-prof --cpu-prof-dir D"] npx tsx bench/noop-thread-cpu.ts
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImapClient } from './imap-client.js';
import { addUser, startStratus } from './stratus-process.js';
const dataDir = mkdtempSync(join(tmpdir(), 'noop-'));
await addUser(dataDir, 'u@example.com', 'pw');
const server = await startStratus({ dataDir, env: { STRATUS_COMMAND_RATE: process.env.RATE ?? '0' }, nodeArgs: process.env.NODEARGS ? process.env.NODEARGS.split(' ') : [] , entry: process.env.ENTRY });
const pid = server.pid!;
function threads(): Map<string, number> {
  const m = new Map<string, number>();
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    const s = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
    const name = s.slice(s.indexOf('(') + 1, s.lastIndexOf(')'));
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    m.set(`${t}:${name}:u`, Number(f[11]) * 10); m.set(`${t}:${name}:s`, Number(f[12]) * 10);
  }
  return m;
}
const c = await ImapClient.connect({ host: '127.0.0.1', port: server.port, timeoutMs: 60000 });
await c.login('u@example.com', 'pw');
await c.select('INBOX');
const cmd = process.env.CMD ?? 'NOOP';
for (let i = 0; i < 500; i++) await c.command(cmd, 'X');
const n = Number(process.env.N ?? 10000);
const before = threads(); const t0 = performance.now(); const cu0 = process.cpuUsage();
for (let i = 0; i < n; i++) await c.command(cmd, 'X');
const wall = performance.now() - t0; const after = threads(); const cu = process.cpuUsage(cu0); console.log("client cpu µs/cmd", ((cu.user + cu.system) / n).toFixed(1));
let total = 0;
for (const [k, v] of after) { const d = v - (before.get(k) ?? 0); total += d; if (d > 0) console.log(k, d, 'ms'); }
console.log(`${cmd}: ${(total / n * 1000).toFixed(1)} µs CPU/cmd, wall ${(wall / n * 1000).toFixed(1)} µs/cmd`);
c.close(); await server.stop();
