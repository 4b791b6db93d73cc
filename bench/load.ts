// IMAP load generator: N concurrent clients drive a running IMAP server over plain TCP and the run prints, per
// command, count, ops/s, p50/p99 latency, share of the mix and the generator's own CPU per command as a Markdown
// table, then the same data as one JSON line.
//
//   npx tsx bench/load.ts [options]
//
//   --workload loop         loop: the client loop of workload-loop.ts (seeding untimed, then --rounds rounds of
//                           LOGIN · LIST · STATUS · SELECT · FETCH · STORE · EXPUNGE · APPEND · SEARCH · LOGOUT);
//                           classic: the earlier workload of workload.ts (seeding APPENDs timed), kept unchanged so
//                           earlier figures stay reproducible
//   --keep-open             loop only: all rounds on one connection, NOOP instead of LOGIN/LOGOUT between rounds
//   --deliveries 2          loop only: messages APPENDed to INBOX per round (the next round's new mail)
//   --host 127.0.0.1        server address (loopback only: this tool is for servers you run yourself)
//   --port 1143             server port
//   --clients 8             concurrent clients, one connection each
//   --messages 200          messages each client APPENDs (2–50 KB, about a third multipart with a base64 attachment);
//                           loop: seeded untimed before the rounds
//   --picks 20 (loop: 3)    random messages for each of FETCH ENVELOPE/BODY/PARTIAL and STORE; loop: messages read
//                           per round (BODY[], partial, STORE \Seen of the same ones)
//   --password bench        password of every user
//   --user-pattern bench{i}@example.com   login of client i (1-based), used unless --shared
//   --shared                all clients log in as --user and work on one INBOX
//   --user bench1@example.com             the login used with --shared
//   --clean                 empty each user's INBOX first (untimed), so counts and SEARCH results are exact
//   --create-users          create the users first with `npx tsx src/cli.ts user add <login> --password <pw>`
//                           (the Stratus CLI) against STRATUS_DATA_DIR, or --data-dir when given; a failure there
//                           is reported and the run goes on (the user may already exist)
//   --data-dir DIR          STRATUS_DATA_DIR for --create-users
//   --seed 1                seed of the corpus and of the random picks: the same seed gives the same run
//   --timeout-ms 30000      limit for any one command
//   --max-seconds 600       limit for the whole run; it is aborted after that
//   --allow-remote          permit a --host outside the loopback range (a load test is for servers you run)
//   --rounds 1 (loop: 10)   classic: sessions kept open: after the first pass, each connection repeats APPEND (of
//                           --round-appends messages) · SELECT · FETCH · STORE · SEARCH this many times in all,
//                           with no further LOGIN or LOGOUT; loop: rounds of the client loop per client
//   --round-appends 20      classic only: messages APPENDed in each round after the first
//
// The workload of each client is described in workload.ts. Exit status: 0 when every command of every client ended
// in OK and passed its checks, 1 otherwise (the first error is printed), 2 on bad arguments.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ImapClient } from './imap-client.js';
import { clientCpuTotalMs, LatencyRecorder, markdownTable } from './latency-stats.js';
import type { RunSummary } from './latency-stats.js';
import { PhaseBarrier } from './phase-barrier.js';
import { runClient } from './workload.js';
import type { ClientBasePlan, ClientPlan } from './workload.js';
import { runLoopClient } from './workload-loop.js';

export type WorkloadName = 'loop' | 'classic';

export interface LoadOptions {
  workload: WorkloadName;
  /** loop: one connection for all rounds. */
  keepOpen: boolean;
  /** loop: messages APPENDed to INBOX per round. */
  deliveries: number;
  host: string;
  port: number;
  clients: number;
  messages: number;
  picks: number;
  password: string;
  userPattern: string;
  shared: boolean;
  user: string;
  clean: boolean;
  createUsers: boolean;
  dataDir: string | undefined;
  seed: number;
  timeoutMs: number;
  maxSeconds: number;
  rounds: number;
  roundAppends: number;
}

export function parseLoadOptions(argv: string[]): LoadOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      workload: { type: 'string', default: 'loop' },
      'keep-open': { type: 'boolean', default: false },
      deliveries: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '1143' },
      clients: { type: 'string', default: '8' },
      messages: { type: 'string', default: '200' },
      picks: { type: 'string' },
      password: { type: 'string', default: 'bench' },
      'user-pattern': { type: 'string', default: 'bench{i}@example.com' },
      shared: { type: 'boolean', default: false },
      user: { type: 'string', default: 'bench1@example.com' },
      clean: { type: 'boolean', default: false },
      'create-users': { type: 'boolean', default: false },
      'data-dir': { type: 'string' },
      seed: { type: 'string', default: '1' },
      'timeout-ms': { type: 'string', default: '30000' },
      'max-seconds': { type: 'string', default: '600' },
      'allow-remote': { type: 'boolean', default: false },
      rounds: { type: 'string' },
      'round-appends': { type: 'string' },
    },
  });
  const int = (name: string, text: string, min: number): number => {
    const n = Number(text);
    if (!Number.isSafeInteger(n) || n < min) throw new RangeError(`--${name} must be an integer >= ${min}, got ${text}`);
    return n;
  };
  if (!values['allow-remote'] && !isLoopback(values.host)) {
    throw new RangeError(`--host ${values.host} is not a loopback address; pass --allow-remote to load it anyway`);
  }
  if (!values['user-pattern'].includes('{i}') && !values.shared) {
    throw new RangeError('--user-pattern must contain {i} (or use --shared)');
  }
  const workload = values.workload;
  if (workload !== 'loop' && workload !== 'classic') throw new RangeError(`--workload must be loop or classic, got ${workload}`);
  const loop = workload === 'loop';
  if (loop && values.shared) throw new RangeError('--shared works with --workload classic only (the loop checks every answer against one client\'s model)');
  if (loop && values['round-appends'] !== undefined) throw new RangeError('--round-appends is for --workload classic (loop: --deliveries)');
  if (!loop && (values['keep-open'] || values.deliveries !== undefined)) {
    throw new RangeError('--keep-open and --deliveries are for --workload loop (classic keeps sessions open with --rounds)');
  }
  return {
    workload,
    keepOpen: values['keep-open'],
    deliveries: int('deliveries', values.deliveries ?? '2', 0),
    host: values.host,
    port: int('port', values.port, 1),
    clients: int('clients', values.clients, 1),
    messages: int('messages', values.messages, 1),
    picks: int('picks', values.picks ?? (loop ? '3' : '20'), 0),
    password: values.password,
    userPattern: values['user-pattern'],
    shared: values.shared,
    user: values.user,
    clean: values.clean,
    createUsers: values['create-users'],
    dataDir: values['data-dir'],
    seed: int('seed', values.seed, 0),
    timeoutMs: int('timeout-ms', values['timeout-ms'], 1),
    maxSeconds: int('max-seconds', values['max-seconds'], 1),
    rounds: int('rounds', values.rounds ?? (loop ? '10' : '1'), 1),
    roundAppends: int('round-appends', values['round-appends'] ?? '20', 0),
  };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export function userOf(options: LoadOptions, index: number): string {
  return options.shared ? options.user : options.userPattern.replaceAll('{i}', String(index));
}

function distinctUsers(options: LoadOptions): string[] {
  return [...new Set(Array.from({ length: options.clients }, (_, i) => userOf(options, i + 1)))];
}

/** The one place the bench touches Stratus code: through its CLI, in a child process, and only when asked. */
function createUsers(options: LoadOptions): void {
  const repoRoot = fileURLToPath(new URL('..', import.meta.url));
  const env = { ...process.env };
  if (options.dataDir !== undefined) env.STRATUS_DATA_DIR = options.dataDir;
  for (const user of distinctUsers(options)) {
    const result = spawnSync('npx', ['tsx', 'src/cli.ts', 'user', 'add', user, '--password', options.password], {
      cwd: repoRoot,
      env,
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (result.status !== 0) {
      const why = result.error?.message ?? (result.stderr || result.stdout).trim();
      console.error(`warning: creating ${user} failed (exit ${String(result.status)}): ${why}`);
    }
  }
}

/** Deletes everything in each user's INBOX, untimed (RFC 3501 §6.4.6 STORE \Deleted, §6.4.3 EXPUNGE). */
async function cleanInboxes(options: LoadOptions): Promise<void> {
  for (const user of distinctUsers(options)) {
    const client = await ImapClient.connect({ host: options.host, port: options.port, timeoutMs: options.timeoutMs });
    try {
      await client.login(user, options.password);
      const { exists } = await client.select('INBOX');
      if (exists > 0) {
        await client.store('1:*', '+FLAGS.SILENT (\\Deleted)');
        await client.command('EXPUNGE');
      }
      await client.logout();
    } finally {
      client.close();
    }
  }
}

export interface SeedingSummary {
  appends: number;
  seconds: number;
  appendsPerSecond: number;
}

export interface LoadResult extends RunSummary {
  workload: WorkloadName;
  /** Clients whose mailbox held only their own corpus, so every answer was checked exactly (see workload.ts). */
  exactlyCheckedClients: number;
  /** loop: the untimed seeding of every INBOX (all clients at once), not part of the table or the total. */
  seeding?: SeedingSummary;
  /** The load generator's own CPU ms over the command windows (process.cpuUsage, all its threads). */
  clientCpuMs?: number;
}

/** `recorder` may be given to read more than the summary afterwards (run-stratus.ts: server CPU per phase). */
export async function runLoad(options: LoadOptions, recorder = new LatencyRecorder()): Promise<LoadResult> {
  if (options.createUsers) createUsers(options);
  if (options.clean) await cleanInboxes(options);

  const barrier = new PhaseBarrier(options.clients);
  const clients: ImapClient[] = [];
  let abortError: Error | undefined;
  const abort = (error: Error): void => {
    abortError ??= error;
    barrier.break(error);
    for (const client of clients) client.close();
  };
  const deadline = setTimeout(() => abort(new Error(`run exceeded --max-seconds ${options.maxSeconds}`)), options.maxSeconds * 1000);
  deadline.unref();

  const seeding = new LatencyRecorder();
  const start = performance.now();
  const runs = Array.from({ length: options.clients }, (_, i) => {
    const register = (client: ImapClient): void => {
      clients.push(client);
      if (abortError) client.close(); // connected after the run was aborted
    };
    const failed = (error: unknown): { exactChecks: boolean } => {
      abort(error instanceof Error ? error : new Error(String(error)));
      return { exactChecks: false };
    };
    const base: ClientBasePlan = {
      index: i + 1,
      host: options.host,
      port: options.port,
      user: userOf(options, i + 1),
      password: options.password,
      messages: options.messages,
      picks: options.picks,
      seed: options.seed * 1000 + i + 1,
      timeoutMs: options.timeoutMs,
    };
    if (options.workload === 'loop') {
      const loopPlan = {
        ...base,
        rounds: options.rounds,
        deliveries: options.deliveries,
        keepOpen: options.keepOpen,
      };
      return runLoopClient(loopPlan, recorder, seeding, barrier, register).catch(failed);
    }
    const plan: ClientPlan = {
      ...base,
      shared: options.shared,
      rounds: options.rounds,
      roundAppends: options.roundAppends,
    };
    return runClient(plan, recorder, barrier, register).catch(failed);
  });
  const outcomes = await Promise.all(runs);
  clearTimeout(deadline);
  let wallSeconds = (performance.now() - start) / 1000;
  if (abortError) throw abortError;
  let seedingSummary: SeedingSummary | undefined;
  if (options.workload === 'loop') {
    // Timed wall time: from the first timed command's start to the last one's end, so the seeding (and the set-up
    // around it) is not in the total; barrier waits and the connects of each round are.
    const span = recorder.span();
    if (span) wallSeconds = (span.lastEnd - span.firstStart) / 1000;
    const seeded = seeding.summarise(1).commands.find((c) => c.command === 'APPEND');
    const seedSpan = seeding.span();
    if (seeded && seedSpan) {
      const seconds = (seedSpan.lastEnd - seedSpan.firstStart) / 1000;
      seedingSummary = { appends: seeded.count, seconds: Math.round(seconds * 1000) / 1000, appendsPerSecond: seeded.opsPerSecond };
    }
  }
  const summary = recorder.summarise(wallSeconds);
  const clientCpuMs = clientCpuTotalMs(summary);
  return {
    ...summary,
    workload: options.workload,
    exactlyCheckedClients: outcomes.filter((o) => o.exactChecks).length,
    ...(seedingSummary ? { seeding: seedingSummary } : {}),
    ...(clientCpuMs !== undefined ? { clientCpuMs } : {}),
  };
}

/** The first line of the output: what ran against what. */
export function describeRun(options: LoadOptions, server: string): string {
  const mode = options.shared ? `shared user ${options.user}` : `users ${options.userPattern}`;
  if (options.workload === 'classic') {
    return (
      `IMAP load (workload classic): ${server}, ${options.clients} clients, ${options.messages} messages each, ` +
      `${options.picks} picks, ${mode}, seed ${options.seed}` +
      (options.rounds > 1 ? `, ${options.rounds} rounds per session (${options.roundAppends} APPENDs after the first)` : '')
    );
  }
  return (
    `IMAP load (workload loop${options.keepOpen ? ', sessions kept open' : ''}): ${server}, ${options.clients} clients, ` +
    `${options.messages} messages seeded each, ${options.rounds} rounds, ${options.picks} messages read and ` +
    `${options.deliveries} delivered per round, ${mode}, seed ${options.seed}`
  );
}

/** The lines after the table: totals, seeding, the generator's CPU. */
export function describeResult(summary: LoadResult, options: LoadOptions): string {
  const lines = [
    `${summary.totalCount} timed commands in ${summary.wallSeconds.toFixed(2)} s = ${summary.totalOpsPerSecond.toFixed(1)} ops/s` +
      (summary.workload === 'loop' ? ' (timed rounds only: seeding excluded)' : '') +
      `; every answer checked, exactly (sizes, bodies, SEARCH results) for ${summary.exactlyCheckedClients} of ${options.clients} clients`,
  ];
  if (summary.seeding) {
    const s = summary.seeding;
    lines.push(`seeding (untimed, not in the table): ${s.appends} APPENDs in ${s.seconds.toFixed(2)} s = ${s.appendsPerSecond.toFixed(1)} seed APPENDs/s`);
  }
  if (summary.clientCpuMs !== undefined) {
    const busy = summary.wallSeconds > 0 ? summary.clientCpuMs / 1000 / summary.wallSeconds : 0;
    lines.push(
      `load generator CPU over the command windows: ${summary.clientCpuMs} ms = ` +
        `${(summary.clientCpuMs / Math.max(summary.totalCount, 1)).toFixed(3)} ms per command ` +
        `(${(busy * 100).toFixed(0)} % of one core over the timed wall time)`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<number> {
  let options: LoadOptions;
  try {
    options = parseLoadOptions(process.argv.slice(2));
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    return 2;
  }
  try {
    const summary = await runLoad(options);
    console.log(`${describeRun(options, `${options.host}:${options.port}`)}\n`);
    console.log(markdownTable(summary, { mix: true }));
    console.log(`\n${describeResult(summary, options)}\n`);
    const { dataDir: _dataDir, password: _password, ...shown } = options;
    console.log(JSON.stringify({ bench: 'imap-load', options: shown, ...summary }));
    return 0;
  } catch (error) {
    console.error(`load run failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

if (process.argv[1] !== undefined && resolve(fileURLToPath(import.meta.url)) === resolve(process.argv[1])) {
  process.exitCode = await main();
}
