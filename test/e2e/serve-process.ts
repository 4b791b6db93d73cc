// `stratus serve` as a separate OS process (as a user runs it), for tests that need two frontends on one store.
import { spawn, type ChildProcess } from 'node:child_process';

const CLI = ['--import', 'tsx', 'src/cli.ts'];
const START_TIMEOUT_MS = 60_000;

export interface ServeProcess {
  imapPort: number;
  output: string[];
  stop(): Promise<void>;
  /** SIGKILL: the process dies mid-command, as in a crash (test/crash). */
  kill(): Promise<void>;
}

/** Starts `stratus serve` with `env` and waits for its "IMAP listening" log line (bounded). */
export async function startServe(env: NodeJS.ProcessEnv): Promise<ServeProcess> {
  const child: ChildProcess = spawn(process.execPath, [...CLI, 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const imapPort = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`stratus serve did not start: ${output.join('')}`)), START_TIMEOUT_MS);
    child.stdout!.on('data', (chunk: Buffer) => {
      output.push(chunk.toString('utf8'));
      const m = /"port":(\d+),"msg":"IMAP listening"/.exec(output.join(''));
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`stratus serve exited (${code}): ${output.join('')}`));
    });
  });
  return {
    imapPort,
    output,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}
