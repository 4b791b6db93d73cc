// Two `stratus serve` processes on one store, change hints through a real redis-server (issue 5 "Done when"):
// on the embedded SQLite data directory, and on DynamoDB Local + the S3 stand-in. Plus: without Redis, the safety
// poll alone still brings a change made on the other process to an IDLE client.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedis, type RunningRedis } from '../notify/redis-server.js';
import { startServe, type ServeProcess } from './serve-process.js';
import { addTestUser as addSharedUser, dynamoStore, serveEnv, sqliteStore } from './two-process-stores.js';
import { eightWriters, flow, idleSeesOtherProcess, rawLogin, sequenceCommandsHoldExpunge, within, type Frontends } from './two-frontends.js';

const USER = 'alice@example.com';
const PASSWORD = 'two processes';

/** Keepalives every 400 ms, so the IDLE tests see them within their bounds. */
function baseEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return serveEnv({ STRATUS_IDLE_KEEPALIVE_MS: '400', ...extra });
}

function addTestUser(env: NodeJS.ProcessEnv): Promise<void> {
  return addSharedUser(env, USER, PASSWORD);
}

function suite(name: string, prepare: () => Promise<{ env: NodeJS.ProcessEnv; cleanup: () => Promise<void> }>): void {
  describe(`two frontends on ${name}, hints through Redis`, () => {
    let redis: RunningRedis;
    let a: ServeProcess;
    let b: ServeProcess;
    let f: Frontends;
    let cleanup: () => Promise<void> = async () => undefined;

    before(async () => {
      redis = await startRedis();
      const prepared = await prepare();
      cleanup = prepared.cleanup;
      // A safety poll far beyond the test's waits: what arrives here arrived through a hint.
      const env = { ...prepared.env, STRATUS_REDIS_URL: redis.url, STRATUS_MAILBOX_POLL_MS: '3600000' };
      await addTestUser(env);
      [a, b] = await Promise.all([startServe(env), startServe(env)]);
      f = { portA: a.imapPort, portB: b.imapPort, user: USER, password: PASSWORD };
    });
    after(async () => {
      await Promise.all([a?.stop(), b?.stop()]);
      await redis?.stop();
      await cleanup();
    });

    it('an IDLE client on A sees EXISTS, FETCH FLAGS and EXPUNGE for changes on B, with keepalives', async () => {
      await idleSeesOtherProcess(f, 'Idle', true);
    });

    it('FETCH, STORE and SEARCH by sequence number on A never carry EXPUNGE for an expunge on B', async () => {
      await sequenceCommandsHoldExpunge(f, 'Seq');
    });

    it('8 writers on both processes get unique ascending UIDs and dense MODSEQ', async () => {
      await eightWriters(f, 'Race');
    });
  });
}

suite('one SQLite data directory', async () => sqliteStore({ STRATUS_IDLE_KEEPALIVE_MS: '400' }));

suite('DynamoDB Local + the S3 stand-in', async () => dynamoStore({ STRATUS_IDLE_KEEPALIVE_MS: '400' }));

describe('two frontends on one SQLite data directory without Redis', () => {
  it('the safety poll alone brings an APPEND on B to an IDLE client on A', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stratus-poll-'));
    const env = baseEnv({ STRATUS_DATA_DIR: dir, STRATUS_MAILBOX_POLL_MS: '200' });
    await addTestUser(env);
    const [a, b] = await Promise.all([startServe(env), startServe(env)]);
    const f: Frontends = { portA: a.imapPort, portB: b.imapPort, user: USER, password: PASSWORD };
    try {
      const client = await rawLogin(f, f.portA);
      assert.match(await client.command('S', 'SELECT INBOX'), /\* 0 EXISTS/);
      client.write('I IDLE\r\n');
      await within(client.until((t) => t.includes('+ idling')), '+ idling');
      const writer = flow(f, f.portB);
      await writer.connect();
      await writer.append('INBOX', Buffer.from('Subject: polled\r\n\r\nbody\r\n'));
      await writer.logout();
      await within(client.until((t) => /\* 1 EXISTS\r\n/.test(t)), 'EXISTS through the safety poll');
      client.write('DONE\r\n');
      await within(client.until((t) => /I OK/.test(t)), 'tagged OK after DONE');
      client.close();
    } finally {
      await Promise.all([a.stop(), b.stop()]);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
