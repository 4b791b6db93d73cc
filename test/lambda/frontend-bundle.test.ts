// The frontend as the image runs it: `src/cli.ts` compiled by the Dockerfile's own esbuild commands into
// dist/stratus.mjs, and the function threads' entry into dist/function-thread.mjs beside it, package.json one folder
// up (the runtime stage's layout), started with `node dist/stratus.mjs serve` and spoken to over TCP. It runs with
// STRATUS_FUNCTION_THREADS=1, so every store function answers from a worker thread started from that bundle. No
// Docker engine here, so the layout is made in a temporary directory.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../bench/stratus-process.js';
import { RawClient } from '../e2e/raw-client.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The arguments of each of the Dockerfile's `RUN npx esbuild …` lines, with line continuations joined. */
function dockerEsbuildArgs(): string[][] {
  const runs = readFileSync(join(ROOT, 'Dockerfile'), 'utf8')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^RUN npx esbuild /.test(l));
  assert.ok(runs.length > 0, 'the Dockerfile compiles the frontend with esbuild');
  return runs.map((run) => run.replace(/^RUN npx esbuild /, '').split(/\s+/));
}

const USER = 'bundle@example.com';
const PASSWORD = 'bundle password 1';

describe('the frontend bundle of the image', () => {
  let dir: string;
  let app: string;
  let child: ChildProcess | undefined;
  let port: number;
  let output = '';

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stratus-bundle-'));
    app = join(dir, 'app');
    mkdirSync(app);
    const runs = dockerEsbuildArgs();
    assert.ok(
      runs.some((args) => args.includes('src/server/function-thread.ts') && args.includes('--outfile=dist/function-thread.mjs')),
      'the Dockerfile builds the function-thread entry beside dist/stratus.mjs (thread-invoker.ts functionThreadEntry)',
    );
    for (const run of runs) {
      const args = run.map((a) => (a.startsWith('--outfile=') ? `--outfile=${join(app, a.slice('--outfile='.length))}` : a));
      const built = spawnSync(join(ROOT, 'node_modules', '.bin', 'esbuild'), [...args, '--log-level=warning'], { cwd: ROOT, encoding: 'utf8' });
      assert.equal(built.status, 0, built.stderr);
    }
    copyFileSync(join(ROOT, 'package.json'), join(app, 'package.json'));
    symlinkSync(join(ROOT, 'node_modules'), join(app, 'node_modules'));
    port = await freePort();
    const env = {
      ...process.env,
      STRATUS_DATA_DIR: join(dir, 'data'),
      STRATUS_HOST: '127.0.0.1',
      STRATUS_IMAP_PORT: String(port),
      STRATUS_IMAPS_PORT: 'off',
      STRATUS_POP3_PORT: 'off',
      STRATUS_POP3S_PORT: 'off',
      STRATUS_LMTP_PORT: 'off',
      STRATUS_ADMIN_PORT: 'off',
      STRATUS_FUNCTION_THREADS: '1',
    };
    const added = spawnSync(process.execPath, ['dist/stratus.mjs', 'user', 'add', USER, '--password', PASSWORD], { cwd: app, env, encoding: 'utf8' });
    assert.equal(added.status, 0, added.stderr);
    child = spawn(process.execPath, ['dist/stratus.mjs', 'serve'], { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      const check = setInterval(() => {
        if (output.includes('Stratus started')) done(resolve);
      }, 50);
      const done = (end: () => void): void => {
        clearInterval(check);
        child?.removeListener('exit', onExit);
        end();
      };
      const onExit = (code: number | null): void => done(() => reject(new Error(`stratus exited ${String(code)} before starting:\n${output}`)));
      child?.once('exit', onExit);
    });
  });

  after(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child?.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs the store functions in a worker thread from dist/function-thread.mjs', async () => {
    assert.match(output, /"functionThreads":1[^\n]*"msg":"functions run in worker threads"/);
    const raw = await RawClient.connect(port);
    try {
      // Every call below is answered by the thread (the thread invoker has no inline fallback once it is on): a
      // thread that could not load its bundle would fail them with NO [UNAVAILABLE].
      assert.match(await raw.command('L', `LOGIN "${USER}" "${PASSWORD}"`), /L OK/);
      assert.match(await raw.command('C', 'CREATE Threads'), /C OK/);
      assert.match(await raw.append('A', 'Threads', 'From: a@example.com\r\nSubject: from the bundle\r\n\r\nhello\r\n'), /A OK \[APPENDUID \d+ 1\]/);
      assert.match(await raw.command('S', 'SELECT Threads'), /\* 1 EXISTS[\s\S]*S OK/);
      assert.match(await raw.command('F', 'FETCH 1 (ENVELOPE BODY.PEEK[TEXT])'), /"from the bundle"[\s\S]*hello\r\n\)\r\nF OK/);
      assert.match(await raw.command('Q', 'SEARCH SUBJECT bundle'), /\* SEARCH 1\r\n/);
    } finally {
      raw.socket.destroy();
    }
    assert.doesNotMatch(output, /function thread (failed|exited)|no function-thread entry/);
  });

  it('starts, and answers ID (RFC 2971) with the version of the package.json beside it', async () => {
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    const raw = await RawClient.connect(port);
    try {
      const answer = await raw.command('a1', 'ID NIL');
      assert.match(answer, new RegExp(`\\* ID \\("name" "Stratus" "version" "${version.replace(/\./g, '\\.')}"`));
      assert.match(answer, /a1 OK/);
    } finally {
      raw.socket.destroy();
    }
  });

  it('stops on SIGTERM with its thread: the process exits 0', async () => {
    const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));
    child?.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.match(output, /"msg":"Stratus stopped"/);
  });
});
