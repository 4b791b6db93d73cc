// Server CPU per command of each FETCH and SEARCH form of the workload (workload.ts), one form at a time, on one
// connection: a steadier guide than run-stratus.ts's phase windows when a change to one command is being judged.
//
//   npx tsx bench/fetch-search-cpu.ts [--messages 200] [--repeat 100] [--forms FETCH-FLAGS,SEARCH-FROM] [--stats 1]
//                                [--cpu-prof DIR] [--json] [--after-appends N [--relogin] [--entry-b PATH]]
//
// Starts `stratus serve` (stratus-process.ts) on a temporary data directory, adds bench1, APPENDs `--messages`
// corpus messages (bench1's corpus, as load.ts seeds it) into INBOX, STOREs \Seen on every fifth message (so
// SEARCH UNSEEN has work), waits until the server's CPU stops moving (a search-segment seal runs after the
// APPENDs) and stops it; then starts a fresh server on that data (the one measured and, with --cpu-prof, profiled),
// logs in once, SELECTs INBOX and runs each form `--repeat` times in a row. A form's figure is the
// server's CPU (utime + stime of its process, server-cpu.ts) over the window of its repeats divided by the repeats;
// NOOP is measured the same way, as the floor every command pays (parse, dispatch, tagged OK, the socket).
// STRATUS_STATS=1 by default, as run-stratus.ts runs it (its AsyncLocalStorage costs CPU per await); --stats 0 off.
//
// --after-appends N: the state the loop workload (workload-loop.ts) searches in. `--repeat` rounds, each APPENDing N
// new messages to INBOX (not measured) and then running the chosen SEARCH forms once each, in the workload's order:
// so every SEARCH runs on an unsealed tail that grows by N a round (and is sealed every SEAL_THRESHOLD UIDs), and
// the first text SEARCH of a round is the first to see the new messages. A form's figure is the server's CPU read
// from /proc right before and right after each of its commands (background work that spills into that window is
// counted, as in the loop), summed over the rounds. --relogin: a new connection (LOGIN, SELECT) every round, as
// the loop has. --entry-b PATH (another checkout's src/cli.ts): a paired A/B — a second server from that tree on a
// copy of the same data, its rounds interleaved with this tree's, so both see the same machine load.
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { makeCorpus, seededRandom } from './corpus.js';
import { ImapClient } from './imap-client.js';
import { ServerCpuSampler, settleCpu } from './server-cpu.js';
import { addUser, startStratus } from './stratus-process.js';
import { readForms } from './workload.js';

/** bench1 of load.ts's default --user-pattern. */
const USER = 'bench1@example.com';

interface Form {
  name: string;
  /** The command text; `{n}` is a random sequence number of INBOX. */
  text: string;
}

function forms(messages: number, seed: number): Form[] {
  return [{ name: 'NOOP', text: 'NOOP' }, ...readForms(makeCorpus(messages, seed))];
}

export interface FormCpu {
  form: string;
  text: string;
  repeat: number;
  cpuMsPerCommand: number;
  wallMsPerCommand: number;
}


async function main(): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    strict: true,
    options: {
      messages: { type: 'string', default: '200' },
      repeat: { type: 'string', default: '100' },
      forms: { type: 'string' },
      stats: { type: 'string', default: '1' },
      'cpu-prof': { type: 'string' },
      json: { type: 'boolean', default: false },
      'after-appends': { type: 'string', default: '0' },
      relogin: { type: 'boolean', default: false },
      'entry-b': { type: 'string' },
    },
  });
  const messages = Number(values.messages);
  const repeat = Number(values.repeat);
  if (!Number.isSafeInteger(messages) || messages < 1 || !Number.isSafeInteger(repeat) || repeat < 1) {
    console.error('--messages and --repeat must be integers >= 1');
    return 2;
  }
  const seed = 1 * 1000 + 1; // bench1's corpus in load.ts (seed 1)
  const wanted = values.forms?.split(',');
  const chosen = forms(messages, seed).filter((f) => f.name === 'NOOP' || !wanted || wanted.includes(f.name));
  const dataDir = mkdtempSync(join(tmpdir(), 'stratus-fscpu-'));
  const cpuProfDir = values['cpu-prof'] === undefined ? undefined : resolve(values['cpu-prof']);
  try {
    await addUser(dataDir, USER, 'bench');
    await fill(dataDir, messages, seed);
    // A fresh server on the filled data: its profile (--cpu-prof) holds only the measured commands.
    const server = await startStratus({
      dataDir,
      env: values.stats === '0' ? {} : { STRATUS_STATS: '1' },
      ...(cpuProfDir !== undefined ? { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', cpuProfDir] } : {}),
    });
    const sampler = server.pid === undefined ? undefined : new ServerCpuSampler(server.pid);
    if (!sampler) throw new Error('no server pid');
    sampler.start(5);
    const afterAppends = Number(values['after-appends']);
    if (afterAppends > 0) {
      const searches = chosen.filter((f) => f.name.startsWith('SEARCH-'));
      const servers = [{ name: 'A (this tree)', server }];
      if (values['entry-b'] !== undefined) {
        const dataDirB = `${dataDir}-b`;
        cpSync(dataDir, dataDirB, { recursive: true });
        const b = await startStratus({ dataDir: dataDirB, env: values.stats === '0' ? {} : { STRATUS_STATS: '1' }, nodeArgs: ['--import', 'tsx'], entry: resolve(values['entry-b']) });
        servers.push({ name: `B (${values['entry-b']})`, server: b });
      }
      const results = await afterAppendRounds(
        servers.map((s) => ({ port: s.server.port, pid: s.server.pid! })),
        searches,
        { appends: afterAppends, rounds: repeat, relogin: values.relogin, seed },
      );
      sampler.stop();
      for (const s of servers) {
        const exit = await s.server.stop();
        if (exit.code !== 0) console.error(`stratus exited ${String(exit.code ?? exit.signal)}: ${exit.stderr.slice(-2000)}`);
      }
      if (servers.length > 1) rmSync(`${dataDir}-b`, { recursive: true, force: true });
      console.log(
        `Stratus (embedded, STRATUS_STATS=${values.stats}), bench1's INBOX of ${messages} messages, ${repeat} rounds of ` +
          `${afterAppends} APPENDs then each SEARCH form once${values.relogin ? ', a new connection each round' : ''}\n`,
      );
      const head = servers.map((s) => `${s.name}: server CPU ms / cmd (median) | wall ms / cmd`).join(' | ');
      console.log(`| form | command | ${head} |\n|---|---|${servers.map(() => '---:|---:|').join('')}`);
      for (const [i, f] of searches.entries()) {
        const cells = results.map((r) => `${r[i]!.cpuMsPerCommand.toFixed(2)} (${r[i]!.medianCpuMs.toFixed(2)}) | ${r[i]!.wallMsPerCommand.toFixed(2)}`);
        console.log(`| ${f.name} | \`${f.text}\` | ${cells.join(' | ')} |`);
      }
      if (values.json) console.log(JSON.stringify({ bench: 'fetch-search-cpu', messages, repeat, afterAppends, relogin: values.relogin, results }));
      return 0;
    }
    const results: FormCpu[] = [];
    const client = await ImapClient.connect({ host: '127.0.0.1', port: server.port, timeoutMs: 120_000 });
    try {
      await client.login(USER, 'bench');
      const exists = (await client.select('INBOX')).exists;
      const random = seededRandom(seed ^ 0x9e0be);
      for (const form of chosen) {
        // One unmeasured run first: a cold cache (cold items, segments) is paid once per session, not per command.
        const run = async (): Promise<void> => {
          const text = form.text.replace('{n}', String(1 + Math.floor(random() * exists)));
          await client.command(text, form.name);
        };
        await run();
        const start = performance.now();
        for (let i = 0; i < repeat; i++) await run();
        const end = performance.now();
        results.push({
          form: form.name,
          text: form.text,
          repeat,
          cpuMsPerCommand: sampler.cpuMsBetween(start, end) / repeat,
          wallMsPerCommand: (end - start) / repeat,
        });
      }
      await client.logout();
    } finally {
      client.close();
      sampler.stop();
      const exit = await server.stop();
      if (exit.code !== 0) console.error(`stratus exited ${String(exit.code ?? exit.signal)}: ${exit.stderr.slice(-2000)}`);
    }
    console.log(
      `Stratus (embedded, STRATUS_STATS=${values.stats}), bench1's INBOX of ${messages} messages, each form ${repeat}× on one ` +
        `connection after one unmeasured run\n`,
    );
    console.log('| form | command | server CPU ms / cmd | wall ms / cmd |\n|---|---|---:|---:|');
    for (const r of results) {
      console.log(`| ${r.form} | \`${r.text.replace('{n}', 'n')}\` | ${r.cpuMsPerCommand.toFixed(2)} | ${r.wallMsPerCommand.toFixed(2)} |`);
    }
    if (values.json) console.log(JSON.stringify({ bench: 'fetch-search-cpu', messages, repeat, results }));
    return 0;
  } catch (error) {
    console.error(`benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return 1;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * CPU milliseconds of `pid` and all its threads so far: the scheduler's `se.sum_exec_runtime` of each thread
 * (/proc/<pid>/task/<tid>/sched, microsecond resolution), so one sub-millisecond command is measured, not sampled in
 * 10 ms clock ticks as /proc/<pid>/stat counts it. A thread that ended between two readings drops out of the second.
 */
function processCpuMs(pid: number): number {
  let ms = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const match = /se\.sum_exec_runtime\s*:\s*([\d.]+)/.exec(readFileSync(`/proc/${pid}/task/${tid}/sched`, 'utf8'));
      if (match) ms += Number(match[1]);
    } catch {
      // the thread ended meanwhile
    }
  }
  return ms;
}

/** --after-appends: `rounds` × (N APPENDs, then each form once) on each server in turn; per server, per form. */
async function afterAppendRounds(
  servers: { port: number; pid: number }[],
  chosen: Form[],
  options: { appends: number; rounds: number; relogin: boolean; seed: number },
): Promise<(FormCpu & { medianCpuMs: number })[][]> {
  const fresh = makeCorpus(options.appends * options.rounds, options.seed + 7919);
  const used = servers.map(() => chosen.map(() => [] as number[]));
  const wall = servers.map(() => chosen.map(() => 0));
  const clients: (ImapClient | undefined)[] = servers.map(() => undefined);
  const open = async (port: number): Promise<ImapClient> => {
    const c = await ImapClient.connect({ host: '127.0.0.1', port, timeoutMs: 120_000 });
    await c.login(USER, 'bench');
    await c.select('INBOX');
    return c;
  };
  try {
    for (let round = 0; round < options.rounds; round++) {
      for (const [s, { port, pid }] of servers.entries()) {
        let client = clients[s];
        if (!client || options.relogin) {
          if (client) await client.logout();
          client = clients[s] = await open(port);
        }
        for (let i = 0; i < options.appends; i++) await client.append('INBOX', fresh[round * options.appends + i]!.raw);
        for (const [f, form] of chosen.entries()) {
          const wallStart = performance.now();
          const before = processCpuMs(pid);
          await client.command(form.text, form.name);
          used[s]![f]!.push(processCpuMs(pid) - before);
          wall[s]![f]! += performance.now() - wallStart;
        }
      }
    }
    for (const c of clients) await c?.logout();
  } finally {
    for (const c of clients) c?.close();
  }
  return servers.map((_, s) =>
    chosen.map((f, i) => {
      const list = used[s]![i]!;
      const sorted = [...list].sort((a, b) => a - b);
      return {
        form: f.name,
        text: f.text,
        repeat: options.rounds,
        cpuMsPerCommand: list.reduce((a, b) => a + b, 0) / options.rounds,
        medianCpuMs: sorted[sorted.length >> 1] ?? 0,
        wallMsPerCommand: wall[s]![i]! / options.rounds,
      };
    }),
  );
}

/** INBOX gets the corpus, \\Seen on every fifth message; returns once the server is idle again (a seal has run). */
async function fill(dataDir: string, messages: number, seed: number): Promise<void> {
  const server = await startStratus({ dataDir });
  try {
    const sampler = new ServerCpuSampler(server.pid ?? 0);
    sampler.start(5);
    const client = await ImapClient.connect({ host: '127.0.0.1', port: server.port, timeoutMs: 120_000 });
    try {
      await client.login(USER, 'bench');
      for (const message of makeCorpus(messages, seed)) await client.append('INBOX', message.raw);
      const exists = (await client.select('INBOX')).exists;
      await client.command(`STORE ${fifths(exists)} +FLAGS.SILENT (\\Seen)`, 'STORE');
      await client.logout();
    } finally {
      client.close();
    }
    await settleCpu(sampler, 1500, 60_000); // the seal after the APPENDs
    sampler.stop();
  } finally {
    await server.stop();
  }
}

/** Every fifth sequence number as a sequence set: `1,6,11,…`. */
function fifths(exists: number): string {
  const out: number[] = [];
  for (let n = 1; n <= exists; n += 5) out.push(n);
  return out.join(',');
}

if (process.argv[1] !== undefined && resolve(fileURLToPath(import.meta.url)) === resolve(process.argv[1])) {
  process.exitCode = await main();
}
