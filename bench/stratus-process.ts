// Runs Stratus the way a user does, in a child process: `stratus serve` and `stratus user add` from the repository's
// src/cli.ts through tsx, against a data directory given in STRATUS_DATA_DIR. Like the rest of bench/, it imports
// no server code; it reads the server's JSON log lines (pino, stdout), among them the "command stats" line that
// STRATUS_STATS=1 makes the server log when it stops.
//
// The command is `node --import tsx src/cli.ts …`, which is what `npx tsx src/cli.ts …` runs, without npm's wrapper
// processes in between: `npm exec` does not pass SIGTERM on to the server (it ends its `sh -c` child, and tsx and
// the server are left running), so neither a clean stop nor the server's exit status could be observed through it.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** One IMAP command's store calls over a run, as the server logs them (src/server/command-stats.ts). */
export interface CommandStoreCalls {
  count: number;
  kv: number;
  blob: number;
  blobBytesRead: number;
  byOp: Record<string, number>;
}

export type CommandStatsByName = Record<string, CommandStoreCalls>;

export interface StratusExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The stats of the "command stats" log line, when the server logged one. */
  stats: CommandStatsByName | undefined;
}

export interface StratusServer {
  port: number;
  dataDir: string;
  pid: number | undefined;
  /** SIGTERM, then waits for the exit (SIGKILL after `killAfterMs`, reported as signal SIGKILL). */
  stop(killAfterMs?: number): Promise<StratusExit>;
}

export interface StartOptions {
  dataDir: string;
  /**
   * Extra environment. STRATUS_DATA_DIR, STRATUS_HOST=127.0.0.1, STRATUS_IMAP_PORT (a free port) and
   * STRATUS_AUTH_FAILURE_DELAY_MS=0 are always set; the other listeners (POP3, LMTP) are off unless given here, so
   * their fixed default ports cannot clash with another server on the machine.
   */
  env?: Record<string, string>;
  /** Limit for the server to start listening (tsx compiles on first use; a busy 2-core machine is slow). */
  startTimeoutMs?: number;
  /** Extra node options before the script, e.g. `--cpu-prof --cpu-prof-dir DIR` (not allowed in NODE_OPTIONS). */
  nodeArgs?: string[];
  /** A built CLI (e.g. the Dockerfile's esbuild bundle) to run with plain node instead of src/cli.ts through tsx. */
  entry?: string;
}

const cliArgs = (...args: string[]): string[] => ['--import', 'tsx', 'src/cli.ts', ...args];

/** A port that was free a moment ago on 127.0.0.1 (startStratus retries when another process takes it first). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** `stratus user add <login> --password <pw>` against `dataDir` (and `env`, e.g. the AWS backend's); rejects unless it exits 0. */
export async function addUser(dataDir: string, login: string, password: string, timeoutMs = 120_000, env: Record<string, string> = {}): Promise<void> {
  const child = spawn(process.execPath, cliArgs('user', 'add', login, '--password', password), {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env, STRATUS_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const result = await collect(child, timeoutMs);
  if (result.code !== 0) {
    throw new Error(`stratus user add ${login} exited ${String(result.code ?? result.signal)}: ${(result.stderr || result.stdout).trim()}`);
  }
}

/** Starts `stratus serve` on a free loopback port and resolves once it logs that it listens. */
export async function startStratus(options: StartOptions): Promise<StratusServer> {
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(options, await freePort());
    } catch (error) {
      lastError = error instanceof Error ? error : new Error(String(error));
      if (!/EADDRINUSE/.test(lastError.message)) throw lastError;
    }
  }
  throw lastError ?? new Error('stratus did not start');
}

async function startOnce(options: StartOptions, port: number): Promise<StratusServer> {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...(options.entry ? [options.entry, 'serve'] : cliArgs('serve'))], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      // As `npm start` runs it (package.json): libuv's pool sized for parallel fsyncs (src/server/workers.ts).
      UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? '32',
      STRATUS_POP3_PORT: 'off',
      STRATUS_LMTP_PORT: 'off',
      // Off unless asked for: the default 1993 would collide with any other Stratus on the machine (a test run's).
      STRATUS_IMAPS_PORT: 'off',
      ...options.env,
      STRATUS_DATA_DIR: options.dataDir,
      STRATUS_HOST: '127.0.0.1',
      STRATUS_IMAP_PORT: String(port),
      STRATUS_ADMIN_PORT: 'off',
      STRATUS_AUTH_FAILURE_DELAY_MS: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Never leave a server behind, whatever happens to this process.
  const killOnExit = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  const ended = collect(child, undefined).finally(() => process.removeListener('exit', killOnExit));

  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  // Ready once it logs "Stratus started" (after every listener is up). An error line or anything on stderr before
  // that is a failed start, even when the process stays alive (a listener that failed to bind leaves the others
  // running: see RESULTS.md).
  const timeoutMs = options.startTimeoutMs ?? 60_000;
  const started = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    const onData = (): void => {
      const lines = logLines(stdout);
      const failed = stderr.trim() !== '' || lines.some((line) => typeof line.level === 'number' && line.level >= 50);
      if (failed || lines.some((line) => line.msg === 'Stratus started')) {
        clearTimeout(timer);
        child.stdout?.removeListener('data', onData);
        child.stderr?.removeListener('data', onData);
        resolve(!failed);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void ended.then(() => {
      clearTimeout(timer);
      resolve(false);
    });
  });
  if (!started) {
    killOnExit();
    const result = await ended;
    throw new Error(
      `stratus serve did not start on 127.0.0.1:${port} (exit ${String(result.code ?? result.signal)}):\n` +
        `${result.stdout}${result.stderr}`.slice(-4000),
    );
  }

  let stopping: Promise<StratusExit> | undefined;
  return {
    port,
    dataDir: options.dataDir,
    pid: child.pid,
    stop(killAfterMs = 60_000) {
      stopping ??= (async () => {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
        const result = await ended;
        clearTimeout(timer);
        return { ...result, stats: parseCommandStats(result.stdout) };
      })();
      return stopping;
    },
  };
}

interface Collected {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** All output of a child and how it ended; with `timeoutMs`, SIGKILL after that. */
function collect(child: ChildProcess, timeoutMs: number | undefined): Promise<Collected> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  return new Promise((resolve) => {
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      resolve({ code: null, signal: null, stdout, stderr: `${stderr}${error.message}` });
    });
    // 'close' (not 'exit'): all output has been read by then.
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

type LogLine = Record<string, unknown> & { msg?: unknown };

/** The JSON log lines of a pino stdout; other lines are skipped. */
export function logLines(stdout: string): LogLine[] {
  const lines: LogLine[] = [];
  for (const text of stdout.split('\n')) {
    if (!text.startsWith('{')) continue;
    try {
      const value: unknown = JSON.parse(text);
      if (isRecord(value)) lines.push(value);
    } catch {
      // a partial line (the server was killed mid-write) is not a log line
    }
  }
  return lines;
}

/** The `stats` of the last "command stats" log line, checked field by field; undefined when there is none. */
export function parseCommandStats(stdout: string): CommandStatsByName | undefined {
  const line = logLines(stdout).filter((l) => l.msg === 'command stats').at(-1);
  if (!line) return undefined;
  const stats = line.stats;
  if (!isRecord(stats)) throw new Error('the "command stats" log line has no stats object');
  const out: CommandStatsByName = {};
  for (const [command, value] of Object.entries(stats)) {
    if (!isRecord(value)) throw new Error(`command stats of ${command} is not an object`);
    const num = (field: string): number => {
      const n = value[field];
      if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) throw new Error(`command stats ${command}.${field} is not a count`);
      return n;
    };
    const byOp: Record<string, number> = {};
    const ops = value.byOp;
    if (!isRecord(ops)) throw new Error(`command stats ${command}.byOp is not an object`);
    for (const [op, n] of Object.entries(ops)) {
      if (typeof n !== 'number') throw new Error(`command stats ${command}.byOp.${op} is not a count`);
      byOp[op] = n;
    }
    out[command] = { count: num('count'), kv: num('kv'), blob: num('blob'), blobBytesRead: num('blobBytesRead'), byOp };
  }
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Store calls per command instance (totals / count) as a Markdown table, one row per IMAP command name. */
export function storeCallTable(stats: CommandStatsByName, label = 'IMAP command'): string {
  const rows = Object.entries(stats).map(([command, s]) => {
    const per = (n: number): string => (s.count === 0 ? '–' : formatPer(n / s.count));
    const ops = Object.entries(s.byOp)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([op, n]) => `${op} ${per(n)}`)
      .join(', ');
    return `| ${command} | ${s.count} | ${per(s.kv)} | ${per(s.blob)} | ${per(s.blobBytesRead)} | ${ops || '–'} |`;
  });
  return [
    `| ${label} | count | kv calls / cmd | blob calls / cmd | blob bytes read / cmd | calls by operation / cmd |`,
    '|---|---:|---:|---:|---:|---|',
    ...rows,
  ].join('\n');
}

function formatPer(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}
