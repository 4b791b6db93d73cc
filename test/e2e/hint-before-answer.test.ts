// A commit's hint — carrying the commit's change — reaches the frontend BEFORE the writing session has its answer,
// as with the Lambda invoker (the function publishes to Redis and flushes before it answers). The process's mailbox
// cache then hands the change to every session at the commit's MODSEQ − 1, the writer's own view included
// (mailbox-cache.ts hinted), and the writer's answer arrives to find its view past it. Its responses must stay right:
// one FETCH per STORE, one EXPUNGE per removed message with the right sequence number, EXISTS counting right, and
// nothing announced again later. The order is forced: the server's store client holds each write's answer until the
// hint's look has run (turns of the event loop, no timers), and no store read is made for the hint (the change is
// taken), which is what the order would cost without it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../../src/config.js';
import { startServer, type RunningServer } from '../../src/server/main.js';
import { addUser } from '../../src/mailstore/directory.js';
import { CallMeter } from '../../src/storage/metered.js';
import type { MailStoreClient } from '../../src/mailstore/client.js';
import { RawClient } from './raw-client.js';
import { simpleMessage } from './sample-messages.js';

const WRITES = new Set(['message.store', 'message.expunge', 'message.append', 'message.appendStaged', 'message.move', 'message.copy']);

/** Holds the answer of every write for a few turns of the event loop: the hint's look (setImmediate) runs first. */
function holdWriteAnswers(client: MailStoreClient): { held: number } {
  const stats = { held: 0 };
  const call = client.call.bind(client) as MailStoreClient['call'];
  client.call = (async (op: string, request: unknown) => {
    const result = await (call as (op: string, request: unknown) => Promise<unknown>)(op, request);
    if (WRITES.has(op)) {
      stats.held++;
      for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    }
    return result;
  }) as MailStoreClient['call'];
  return stats;
}

const lines = (text: string, re: RegExp) => text.split('\r\n').filter((l) => re.test(l));

describe("the writer's own responses when its commit's hint comes before its answer", () => {
  let dir: string;
  let server: RunningServer;
  let raw: RawClient;
  let held: { held: number };
  const user = 'alice@example.com';
  const password = 'pw-hint-first';

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stratus-hint-first-'));
    const config = loadConfig({
      STRATUS_DATA_DIR: dir,
      STRATUS_IMAP_PORT: '0',
      STRATUS_ADMIN_PORT: 'off',
      STRATUS_LMTP_PORT: 'off',
      STRATUS_POP3_PORT: 'off',
      STRATUS_ALLOW_PLAINTEXT_AUTH: 'true',
      STRATUS_AUTH_FAILURE_DELAY_MS: '10',
      STRATUS_LOG_LEVEL: 'warn',
    });
    server = await startServer(config, pino({ level: 'silent' }));
    await addUser(server.store.ctx, user, password);
    raw = await RawClient.connect(server.imapPort!);
    await raw.command('L', `LOGIN ${user} "${password}"`);
    for (let i = 1; i <= 6; i++) {
      const m = simpleMessage({ subject: `m${i}` });
      await raw.command(`A${i}`, `APPEND INBOX {${Buffer.byteLength(m)}+}\r\n${m}`);
    }
    await raw.command('C', 'CREATE Kept');
    await raw.command('S', 'SELECT INBOX');
    held = holdWriteAnswers(server.store.client);
  });
  after(async () => {
    raw?.socket.destroy();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs a command; asserts the hint's look read nothing (the change was taken) and that the answer was held. */
  async function command(tag: string, line: string): Promise<string> {
    const before = server.store.meter.snapshot();
    const writes = held.held;
    const text = await raw.command(tag, line);
    const used = CallMeter.diff(server.store.meter.snapshot(), before);
    assert.ok(held.held > writes, `${line}: a write whose answer was held`);
    assert.equal(used.byOp['kv.query'] ?? 0, 0, `${line}: no log read (${JSON.stringify(used.byOp)})`);
    return text;
  }

  it('STORE: one FETCH with the new flags, nothing again at the next NOOP', async () => {
    const text = await command('a', 'STORE 2 +FLAGS (\\Flagged)');
    assert.match(text, /^a OK/m);
    assert.deepEqual(lines(text, /^\* \d+ FETCH/), ['* 2 FETCH (FLAGS (\\Flagged \\Recent))']);
    const silent = await command('b', 'STORE 3 +FLAGS.SILENT (\\Seen)');
    assert.deepEqual(lines(silent, /^\* /), [], '.SILENT: the own change is not announced');
    assert.deepEqual(lines(await raw.command('c', 'NOOP'), /^\* /), []);
  });

  it('EXPUNGE: each message once, with its sequence number; nothing again at the next NOOP', async () => {
    await command('d', 'STORE 2,4 +FLAGS.SILENT (\\Deleted)');
    const text = await command('e', 'EXPUNGE');
    assert.match(text, /^e OK/m);
    assert.deepEqual(lines(text, /^\* /), ['* 4 EXPUNGE', '* 2 EXPUNGE']);
    assert.deepEqual(lines(await raw.command('f', 'NOOP'), /^\* /), []);
    assert.deepEqual(lines(await raw.command('g', 'FETCH 1:* (UID)'), /^\* /), ['* 1 FETCH (UID 1)', '* 2 FETCH (UID 3)', '* 3 FETCH (UID 5)', '* 4 FETCH (UID 6)']);
  });

  it('APPEND to the selected mailbox: EXISTS counts right, once', async () => {
    const m = simpleMessage({ subject: 'appended' });
    const text = await command('h', `APPEND INBOX {${Buffer.byteLength(m)}+}\r\n${m}`);
    assert.match(text, /^h OK \[APPENDUID \d+ 7\]/m);
    assert.deepEqual(lines(text, /EXISTS/), ['* 5 EXISTS']);
    assert.deepEqual(lines(await raw.command('i', 'NOOP'), /^\* /), []);
  });

  it('MOVE: one EXPUNGE with the right number; nothing again at the next NOOP', async () => {
    const text = await command('j', 'MOVE 2 Kept');
    assert.match(text, /^j OK/m);
    assert.deepEqual(lines(text, /EXPUNGE/), ['* 2 EXPUNGE']);
    assert.deepEqual(lines(await raw.command('k', 'NOOP'), /^\* /), []);
    assert.deepEqual(lines(await raw.command('l', 'UID FETCH 1:* (UID)'), /^\* /), ['* 1 FETCH (UID 1)', '* 2 FETCH (UID 5)', '* 3 FETCH (UID 6)', '* 4 FETCH (UID 7)']);
  });
});
