// `stratus serve` with STRATUS_WORKERS=2 (src/server/workers.ts): two processes share the IMAP port and the data
// directory, and an IDLE client learns of a change made through the other worker from the IPC hint relay, with the
// safety poll off so nothing else could tell it. SIGTERM stops both workers and the primary cleanly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { startServe } from './serve-process.js';
import { RawClient } from './raw-client.js';
import { simpleMessage } from './sample-messages.js';

const USER = 'workers@example.com';
const PASSWORD = 'two workers one mailbox';

async function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(what)), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

test('two workers share the port and push EXISTS across processes without Redis', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-workers-'));
  const env = {
    ...process.env,
    STRATUS_DATA_DIR: dir,
    STRATUS_WORKERS: '2',
    STRATUS_IMAP_PORT: '0',
    STRATUS_IMAPS_PORT: 'off',
    STRATUS_POP3_PORT: 'off',
    STRATUS_LMTP_PORT: 'off',
    STRATUS_ADMIN_PORT: 'off',
    STRATUS_MAILBOX_POLL_MS: '0',
    STRATUS_AUTH_FAILURE_DELAY_MS: '0',
  };
  execFileSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'user', 'add', USER, '--password', PASSWORD], { env });
  const serve = await startServe(env);
  const clients: RawClient[] = [];
  try {
    // Both workers must listen before the clients come, or one worker would get them all.
    const listening = (): number => serve.output.join('').match(/"msg":"IMAP listening"/g)?.length ?? 0;
    await within(60_000, (async () => {
      while (listening() < 2) await new Promise((r) => setTimeout(r, 100));
    })(), 'the second worker never listened');
    // Connections are handed to the workers in turn, so among four idlers both workers have some.
    for (let i = 0; i < 4; i++) {
      const c = await RawClient.connect(serve.imapPort);
      assert.match(await c.command('L', `LOGIN ${USER} "${PASSWORD}"`), /L OK/);
      assert.match(await c.command('S', 'SELECT INBOX'), /\* 0 EXISTS/);
      c.write('I IDLE\r\n');
      await c.until((t) => t.includes('+ '));
      clients.push(c);
    }
    const writer = await RawClient.connect(serve.imapPort);
    assert.match(await writer.command('L', `LOGIN ${USER} "${PASSWORD}"`), /L OK/);
    const m = simpleMessage({ subject: 'across workers' });
    assert.match(await writer.command('A', `APPEND INBOX {${Buffer.byteLength(m)}+}\r\n${m}`), /A OK/);
    for (const c of clients) {
      // Bounded, so a broken relay fails here instead of hanging the run (a bound, not a latency assertion).
      await within(30_000, c.until((t) => t.includes('* 1 EXISTS')), 'an idler never heard of the new message');
      c.write('DONE\r\n');
      assert.match(await c.until((t) => /I (OK|NO|BAD)/.test(t)), /I OK/);
    }
    writer.close();
  } finally {
    for (const c of clients) c.close();
    await serve.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  assert.match(serve.output.join(''), /Stratus workers stopped/);
});
