// The stores two `stratus serve` processes can share in a test: one SQLite data directory, or fresh tables on
// DynamoDB Local + the S3 stand-in (endpoints from `node test/run.mjs`). Each gives the environment both
// processes start with and a cleanup; `addTestUser` provisions a user in that store from this process.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { loadConfig } from '../../src/config.js';
import { openStore, type Store } from '../../src/server/store.js';
import { addUser } from '../../src/mailstore/directory.js';
import { DynamoKv } from '../../src/storage/dynamodb/dynamo-kv.js';

export interface SharedStore {
  env: NodeJS.ProcessEnv;
  cleanup(): Promise<void>;
}

/** What every test frontend runs with: plain IMAP on a free port, nothing else listening. */
export function serveEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {
    ...process.env,
    STRATUS_IMAP_PORT: '0',
    STRATUS_ADMIN_PORT: 'off',
    STRATUS_POP3_PORT: 'off',
    STRATUS_LMTP_PORT: 'off',
    STRATUS_AUTH_FAILURE_DELAY_MS: '10',
    STRATUS_LOG_LEVEL: 'info',
    ...extra,
  };
}

export function sqliteStore(extra: NodeJS.ProcessEnv = {}): SharedStore {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-shared-'));
  return { env: serveEnv({ STRATUS_DATA_DIR: dir, ...extra }), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
}

/** Fresh tables on DynamoDB Local + the S3 stand-in of `node test/run.mjs`: the STRATUS_* settings that use them. */
export async function awsStoreSettings(prefix = 'sh'): Promise<Record<string, string>> {
  const dynamodb = process.env.STRATUS_TEST_DYNAMODB_ENDPOINT;
  const s3 = process.env.STRATUS_TEST_S3_ENDPOINT;
  const bucket = process.env.STRATUS_TEST_S3_BUCKET;
  if (!dynamodb || !s3 || !bucket) throw new Error('STRATUS_TEST_* endpoints are not set: run with `node test/run.mjs`');
  const run = randomUUID().slice(0, 8);
  const tables = { mail: `stratus-${prefix}-${run}-mail`, msgmeta: `stratus-${prefix}-${run}-msgmeta` };
  const client = new DynamoDBClient({ endpoint: dynamodb, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await DynamoKv.createTables(client, tables);
  client.destroy();
  // Stores opened in this process (servers, addTestUser, openShared) read credentials from the environment.
  process.env.AWS_ACCESS_KEY_ID = 'local';
  process.env.AWS_SECRET_ACCESS_KEY = 'local';
  return {
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
  };
}

export async function dynamoStore(extra: NodeJS.ProcessEnv = {}): Promise<SharedStore> {
  return { env: serveEnv({ ...(await awsStoreSettings()), ...extra }), cleanup: async () => undefined };
}

/** The shared store opened in this process, as `stratus serve` opens it (close it when done). */
export function openShared(env: NodeJS.ProcessEnv): Store {
  return openStore(loadConfig(env));
}

export async function addTestUser(env: NodeJS.ProcessEnv, user: string, password: string): Promise<void> {
  const store = openShared(env);
  try {
    await addUser(store.ctx, user, password);
  } finally {
    await store.close();
  }
}
