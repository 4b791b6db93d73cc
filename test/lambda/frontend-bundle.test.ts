// The frontend as the image runs it: `src/cli.ts` compiled by the Dockerfile's own esbuild command into
// dist/stratus.mjs, package.json one folder up (the runtime stage's layout), started with `node dist/stratus.mjs
// serve` and spoken to over TCP. No Docker engine here, so the layout is made in a temporary directory.
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

/** The Dockerfile's `RUN npx esbuild …` arguments, with line continuations joined. */
function dockerEsbuildArgs(): string[] {
  const run = readFileSync(join(ROOT, 'Dockerfile'), 'utf8')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .find((l) => /^RUN npx esbuild /.test(l));
  assert.ok(run, 'the Dockerfile compiles the frontend with esbuild');
  return run.replace(/^RUN npx esbuild /, '').split(/\s+/);
}

describe('the frontend bundle of the image', () => {
  let dir: string;
  let app: string;
  let child: ChildProcess | undefined;
  let port: number;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stratus-bundle-'));
    app = join(dir, 'app');
    mkdirSync(app);
    const args = dockerEsbuildArgs().map((a) => (a.startsWith('--outfile=') ? `--outfile=${join(app, a.slice('--outfile='.length))}` : a));
    const built = spawnSync(join(ROOT, 'node_modules', '.bin', 'esbuild'), [...args, '--log-level=warning'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(built.status, 0, built.stderr);
    copyFileSync(join(ROOT, 'package.json'), join(app, 'package.json'));
    symlinkSync(join(ROOT, 'node_modules'), join(app, 'node_modules'));
    port = await freePort();
    child = spawn(process.execPath, ['dist/stratus.mjs', 'serve'], {
      cwd: app,
      env: {
        ...process.env,
        STRATUS_DATA_DIR: join(dir, 'data'),
        STRATUS_HOST: '127.0.0.1',
        STRATUS_IMAP_PORT: String(port),
        STRATUS_IMAPS_PORT: 'off',
        STRATUS_POP3_PORT: 'off',
        STRATUS_POP3S_PORT: 'off',
        STRATUS_LMTP_PORT: 'off',
        STRATUS_ADMIN_PORT: 'off',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
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
});
