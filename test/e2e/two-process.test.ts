// Two `stratus serve` processes on one store, change hints through a real redis-server (issue 5 "Done when"):
// on the embedded SQLite data directory, and on DynamoDB Local + the S3 stand-in. Plus: without Redis, the safety
// poll alone still brings a change made on the other process to an IDLE client.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { loadConfig } from '../../src/config.js';
import { openStore } from '../../src/server/store.js';
import { addUser } from '../../src/mailstore/directory.js';
import { DynamoKv } from '../../src/storage/dynamodb/dynamo-kv.js';
import { startRedis, type RunningRedis } from '../notify/redis-server.js';
import { startServe, type ServeProcess } from './serve-process.js';
import { eightWriters, flow, idleSeesOtherProcess, rawLogin, sequenceCommandsHoldExpunge, within, type Frontends } from './two-frontends.js';

const USER = 'alice@example.com';
const PASSWORD = 'two processes';

function baseEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {
    ...process.env,
    STRATUS_IMAP_PORT: '0',
    STRATUS_ADMIN_PORT: 'off',
    STRATUS_POP3_PORT: 'off',
    STRATUS_LMTP_PORT: 'off',
    STRATUS_AUTH_FAILURE_DELAY_MS: '10',
    STRATUS_IDLE_KEEPALIVE_MS: '400',
    STRATUS_LOG_LEVEL: 'info',
    ...extra,
  };
}

async function addTestUser(env: NodeJS.ProcessEnv): Promise<void> {
  const store = openStore(loadConfig(env));
  try {
    await addUser(store.ctx, USER, PASSWORD);
  } finally {
    await store.close();
  }
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

suite('one SQLite data directory', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-two-'));
  return { env: baseEnv({ STRATUS_DATA_DIR: dir }), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
});

suite('DynamoDB Local + the S3 stand-in', async () => {
  const dynamodb = process.env.STRATUS_TEST_DYNAMODB_ENDPOINT;
  const s3 = process.env.STRATUS_TEST_S3_ENDPOINT;
  const bucket = process.env.STRATUS_TEST_S3_BUCKET;
  if (!dynamodb || !s3 || !bucket) throw new Error('STRATUS_TEST_* endpoints are not set: run with `node test/run.mjs`');
  const run = randomUUID().slice(0, 8);
  const tables = { mail: `stratus-2p-${run}-mail`, msgmeta: `stratus-2p-${run}-msgmeta` };
  const client = new DynamoDBClient({ endpoint: dynamodb, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await DynamoKv.createTables(client, tables);
  client.destroy();
  // addTestUser opens the store in this process, whose SDK reads credentials from the environment like the servers'.
  process.env.AWS_ACCESS_KEY_ID = 'local';
  process.env.AWS_SECRET_ACCESS_KEY = 'local';
  const env = baseEnv({
    STRATUS_BACKEND: 'aws',
    STRATUS_DYNAMODB_ENDPOINT: dynamodb,
    STRATUS_S3_ENDPOINT: s3,
    STRATUS_S3_BUCKET: bucket,
    STRATUS_TABLE_MAIL: tables.mail,
    STRATUS_TABLE_MSGMETA: tables.msgmeta,
    STRATUS_TOKEN_KEY: randomBytes(32).toString('base64'),
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
  });
  return { env, cleanup: async () => undefined };
});

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
