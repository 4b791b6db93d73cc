// What lets the safety poll be slow when hints go through Redis (src/config.ts defaultPollMs): a hint lost while
// Redis was away is made up for when the subscriber connection comes back — the process reads every watched mailbox
// then (redis-bus.ts onReconnect, wired in src/server/main.ts), without waiting for the poll. Two `stratus serve`
// processes on one SQLite data directory, a real redis-server stopped and started again on its port.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis, type RunningRedis } from '../notify/redis-server.js';
import { startServe, type ServeProcess } from './serve-process.js';
import { addTestUser, serveEnv, sqliteStore } from './two-process-stores.js';
import { rawLogin, within, type Frontends } from './two-frontends.js';
import { loadConfig } from '../../src/config.js';

const USER = 'alice@example.com';
const PASSWORD = 'hint reconnect';

describe('a hint lost while Redis is down', () => {
  let redis: RunningRedis;
  let a: ServeProcess;
  let b: ServeProcess;
  let f: Frontends;
  let cleanup: () => Promise<void> = async () => undefined;

  before(async () => {
    redis = await startRedis();
    const store = sqliteStore();
    cleanup = store.cleanup;
    // A poll far beyond the test's waits: what arrives, arrives through a hint or the reconnect's read.
    const env = serveEnv({ ...store.env, STRATUS_REDIS_URL: redis.url, STRATUS_MAILBOX_POLL_MS: '3600000' });
    await addTestUser(env, USER, PASSWORD);
    [a, b] = await Promise.all([startServe(env), startServe(env)]);
    f = { portA: a.imapPort, portB: b.imapPort, user: USER, password: PASSWORD };
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
    await cleanup();
  });

  it('reaches an IDLE client on the other process when its Redis connection is back, not at the next poll', async () => {
    const idle = await rawLogin(f, f.portA);
    assert.match(await idle.command('S', 'SELECT INBOX'), /\* 0 EXISTS/);
    idle.write('I IDLE\r\n');
    await within(idle.until((t) => t.includes('+ idling')), '+ idling');

    await redis.stop();
    // Committed on B while Redis is away: B's hint is dropped (no offline queue), A hears nothing.
    const writer = await rawLogin(f, f.portB);
    const body = 'Subject: while Redis was down\r\n\r\nbody\r\n';
    assert.match(await within(writer.command('W', `APPEND INBOX {${body.length}+}\r\n${body}`), 'APPEND on B'), /W OK/);

    redis = await startRedis(redis.port);
    await within(idle.until((t) => /\* 1 EXISTS\r\n/.test(t)), 'EXISTS after A reconnected to Redis', 30_000);
    idle.write('DONE\r\n');
    await within(idle.until((t) => /I OK/.test(t)), 'tagged OK after DONE');
    idle.close();
    writer.close();
  });
});

describe('the safety poll default', () => {
  it('is 10 min when hints go through Redis (reconnects are seen), 2 min without; an explicit setting wins', () => {
    assert.equal(loadConfig({ STRATUS_REDIS_URL: 'redis://127.0.0.1:6379' }).mailboxPollMs, 600_000);
    assert.equal(loadConfig({}).mailboxPollMs, 120_000);
    assert.equal(loadConfig({ STRATUS_REDIS_URL: 'redis://127.0.0.1:6379', STRATUS_MAILBOX_POLL_MS: '60000' }).mailboxPollMs, 60_000);
    assert.equal(loadConfig({ STRATUS_MAILBOX_POLL_MS: '0' }).mailboxPollMs, 0);
  });
});
