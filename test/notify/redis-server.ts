// A real Debian `redis-server` on a free loopback port, for the tests that need Redis. It fails (never skips) when
// the server cannot start: `.ci/run` installs the package on a fresh machine.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';

export interface RunningRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const START_TIMEOUT_MS = 15_000;

/** Starts redis-server on `port` (default: a free one; a test that restarts Redis passes the port it had). */
export async function startRedis(port?: number): Promise<RunningRedis> {
  port ??= await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start within ${START_TIMEOUT_MS} ms: ${output.join('')}`)), START_TIMEOUT_MS);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot run redis-server (install Debian's redis-server): ${err.message}`));
    });
    child.stdout.on('data', (chunk: Buffer) => {
      output.push(chunk.toString('utf8'));
      if (output.join('').includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited: ${output.join('')}`));
    });
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}
