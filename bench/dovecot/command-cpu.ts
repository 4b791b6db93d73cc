// Dovecot's server CPU per APPEND and per FETCH / SEARCH form of the workload, one form at a time on one connection:
// the Dovecot side of bench/fetch-search-cpu.ts, so the two servers can be compared by CPU rather than by wall time
// on a shared machine, and Dovecot with its full-text index (run.sh --fts xapian) against Dovecot without (none).
//
//   npx tsx bench/dovecot/command-cpu.ts [--fts xapian|none] [--messages 200] [--repeat 50] [--json]
//
// Starts bench/dovecot/run.sh (one user, bench1@example.com) on a free port, APPENDs `--messages` corpus messages
// (bench1's corpus, as load.ts seeds it) into INBOX on one connection, STOREs \Seen on every fifth (as
// fetch-search-cpu.ts does) and waits until Dovecot's CPU stops moving: with fts_autoindex the indexer works after
// each APPEND has answered, so "APPEND + indexing" is the CPU of the APPENDs and of everything that followed until
// Dovecot was idle, over the count. Then it SELECTs INBOX and runs NOOP and each form `--repeat` times in a row after
// one unmeasured run; a form's figure is the CPU of Dovecot's processes (master and every service process: imap,
// indexer, indexer-worker, auth, ...; utime + stime from /proc, server-cpu.ts) over the window of its repeats, over
// the repeats. Dovecot is stopped with SIGTERM at the end (run.sh then removes its data).
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { makeCorpus, seededRandom } from '../corpus.js';
import { ImapClient } from '../imap-client.js';
import { ServerCpuSampler, settleCpu } from '../server-cpu.js';
import { readForms } from '../workload.js';

const USER = 'bench1@example.com';
const PASSWORD = 'bench';
const HERE = resolve(fileURLToPath(import.meta.url), '..');

interface FormCpu {
  form: string;
  text: string;
  repeat: number;
  cpuMsPerCommand: number;
  wallMsPerCommand: number;
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((done) => probe.close(() => done()));
  return port;
}

/** The pid of the `dovecot` master that run.sh (pid `parent`) started, once it is there. */
async function dovecotMaster(parent: number, deadline: number): Promise<number> {
  while (Date.now() < deadline) {
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        const command = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        if (ppid === parent && command === 'dovecot') return Number(name);
      } catch {
        // gone meanwhile
      }
    }
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error('Dovecot did not start');
}


/** Every fifth sequence number as a sequence set: `1,6,11,…`. */
function fifths(exists: number): string {
  const out: number[] = [];
  for (let n = 1; n <= exists; n += 5) out.push(n);
  return out.join(',');
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    strict: true,
    options: {
      fts: { type: 'string', default: 'auto' },
      messages: { type: 'string', default: '200' },
      repeat: { type: 'string', default: '50' },
      json: { type: 'boolean', default: false },
    },
  });
  const messages = Number(values.messages);
  const repeat = Number(values.repeat);
  if (!Number.isSafeInteger(messages) || messages < 1 || !Number.isSafeInteger(repeat) || repeat < 1) {
    console.error('--messages and --repeat must be integers >= 1');
    return 2;
  }
  const port = await freePort();
  const runSh = spawn('bash', [join(HERE, 'run.sh'), '--port', String(port), '--users', '1', '--password', PASSWORD, '--fts', values.fts], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  runSh.stderr.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<number | null>((done) => runSh.once('exit', (code) => done(code)));
  try {
    const master = await dovecotMaster(runSh.pid ?? 0, Date.now() + 30_000);
    let client: ImapClient | undefined;
    for (const deadline = Date.now() + 30_000; !client; ) {
      try {
        client = await ImapClient.connect({ host: '127.0.0.1', port, timeoutMs: 300_000 });
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((done) => setTimeout(done, 200));
      }
    }
    const fts = /^full-text search: (\S+)/m.exec(log)?.[1] ?? '?';
    const sampler = new ServerCpuSampler(master);
    sampler.start(5);
    const seed = 1 * 1000 + 1; // bench1's corpus in load.ts (seed 1)
    const corpus = makeCorpus(messages, seed);
    const results: FormCpu[] = [];
    let appendCpuMs = 0;
    let appendAndIndexCpuMs = 0;
    try {
      await client.login(USER, PASSWORD);
      const appendStart = performance.now();
      for (const message of corpus) await client.append('INBOX', message.raw);
      const appendEnd = performance.now();
      await settleCpu(sampler, 2000, 300_000); // the indexer has caught up
      appendCpuMs = sampler.cpuMsBetween(appendStart, appendEnd);
      appendAndIndexCpuMs = sampler.cpuMsBetween(appendStart, performance.now());
      const exists = (await client.select('INBOX')).exists;
      await client.command(`STORE ${fifths(exists)} +FLAGS.SILENT (\\Seen)`, 'STORE');
      await settleCpu(sampler, 2000, 300_000); // the indexer has caught up
      const random = seededRandom(seed ^ 0x9e0be);
      for (const form of [{ name: 'NOOP', text: 'NOOP' }, ...readForms(corpus)]) {
        const run = async (): Promise<void> => {
          await client.command(form.text.replace('{n}', String(1 + Math.floor(random() * exists))), form.name);
        };
        await run();
        const start = performance.now();
        for (let i = 0; i < repeat; i++) await run();
        const end = performance.now();
        results.push({ form: form.name, text: form.text, repeat, cpuMsPerCommand: sampler.cpuMsBetween(start, end) / repeat, wallMsPerCommand: (end - start) / repeat });
      }
      await client.logout();
    } finally {
      client.close();
      sampler.stop();
    }
    console.log(`Dovecot (run.sh --fts ${fts}), bench1's INBOX of ${messages} messages, each form ${repeat}× on one connection after one unmeasured run\n`);
    console.log(`APPEND: ${(appendCpuMs / messages).toFixed(2)} ms CPU per APPEND while the APPENDs ran, ` +
      `${(appendAndIndexCpuMs / messages).toFixed(2)} ms per APPEND including the work that followed until Dovecot was idle (indexing)\n`);
    console.log('| form | command | server CPU ms / cmd | wall ms / cmd |\n|---|---|---:|---:|');
    for (const r of results) {
      console.log(`| ${r.form} | \`${r.text.replace('{n}', 'n')}\` | ${r.cpuMsPerCommand.toFixed(2)} | ${r.wallMsPerCommand.toFixed(2)} |`);
    }
    if (values.json) {
      console.log(JSON.stringify({ bench: 'dovecot-command-cpu', fts, messages, repeat, appendCpuMs, appendAndIndexCpuMs, results }));
    }
    return 0;
  } catch (error) {
    console.error(`benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n${log.slice(-2000)}`);
    return 1;
  } finally {
    if (runSh.exitCode === null) runSh.kill('SIGTERM');
    const code = await exited;
    if (code !== 0) console.error(`run.sh exited ${String(code)}: ${log.slice(-2000)}`);
  }
}

if (process.argv[1] !== undefined && resolve(fileURLToPath(import.meta.url)) === resolve(process.argv[1])) {
  process.exitCode = await main();
}
