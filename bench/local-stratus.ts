// Stratus in the benchmark's own process, as `stratus serve` wires it: on the embedded backend (SQLite + files in a
// temp dir), or on its AWS backend pointed at DynamoDB Local and the S3 stand-in (fresh tables per run). Shared by
// the benchmarks and the tests that pin their figures, so both come from the same wiring.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { pino } from 'pino';
import { loadConfig } from '../src/config.js';
import { startServer, type RunningServer } from '../src/server/main.js';
import { DynamoKv } from '../src/storage/dynamodb/dynamo-kv.js';
import type { CallMeter } from '../src/storage/metered.js';
import { startServices } from '../test/services.mjs';

export interface AwsEndpoints {
  dynamodbEndpoint: string;
  s3Endpoint: string;
  s3Bucket: string;
}

export interface LocalStratus {
  server: RunningServer;
  close(): Promise<void>;
  /** The AWS backend's tables: another frontend started with them shares the data (a second process in AWS). */
  tables?: { mail: string; msgmeta: string };
}

/** The endpoints named by STRATUS_TEST_* (test/run.mjs sets them), or DynamoDB Local and the S3 stand-in started now. */
export async function localEndpoints(): Promise<AwsEndpoints & { stop(): Promise<void> }> {
  const { STRATUS_TEST_DYNAMODB_ENDPOINT: d, STRATUS_TEST_S3_ENDPOINT: s, STRATUS_TEST_S3_BUCKET: b } = process.env;
  if (d && s && b) return { dynamodbEndpoint: d, s3Endpoint: s, s3Bucket: b, stop: async () => undefined };
  return startServices();
}

/** Waits until the meter has not moved for a while (change hints and their log reads have settled). */
export async function quiet(meter: CallMeter, ms = 300): Promise<void> {
  let last = -1;
  for (;;) {
    const now = meter.counts.kv + meter.counts.blob;
    if (now === last) return;
    last = now;
    await new Promise((r) => setTimeout(r, ms));
  }
}

/** Stratus as `npm start` runs it (SQLite + files in a temp dir), IMAP on a free port, other listeners off. */
export async function startSqliteStratus(env: Record<string, string> = {}): Promise<LocalStratus> {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-local-'));
  const config = loadConfig({
    STRATUS_DATA_DIR: dir,
    STRATUS_IMAP_PORT: '0',
    STRATUS_IMAPS_PORT: 'off',
    STRATUS_POP3_PORT: 'off',
    STRATUS_ADMIN_PORT: 'off',
    STRATUS_LMTP_PORT: 'off',
    STRATUS_ALLOW_PLAINTEXT_AUTH: 'true',
    STRATUS_LOG_LEVEL: 'warn',
    ...env,
  });
  const server = await startServer(config, pino({ level: 'warn' }));
  return {
    server,
    async close() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `shared`: run on another LocalStratus's tables (a second frontend) instead of fresh ones. */
export async function startAwsStratus(
  endpoints: AwsEndpoints,
  env: Record<string, string> = {},
  shared?: { mail: string; msgmeta: string },
): Promise<LocalStratus> {
  const run = randomUUID().slice(0, 8);
  const tables = shared ?? { mail: `stratus-cb-${run}-mail`, msgmeta: `stratus-cb-${run}-msgmeta` };
  if (!shared) {
    const dynamo = new DynamoDBClient({
      endpoint: endpoints.dynamodbEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    await DynamoKv.createTables(dynamo, tables);
    dynamo.destroy();
  }
  // The AWS backend keeps nothing on disk, but the admin token file has a home.
  const dir = mkdtempSync(join(tmpdir(), 'stratus-aws-local-'));
  const config = loadConfig({
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    STRATUS_BACKEND: 'aws',
    STRATUS_DATA_DIR: dir,
    STRATUS_DYNAMODB_ENDPOINT: endpoints.dynamodbEndpoint,
    STRATUS_S3_ENDPOINT: endpoints.s3Endpoint,
    STRATUS_S3_BUCKET: endpoints.s3Bucket,
    STRATUS_TABLE_MAIL: tables.mail,
    STRATUS_TABLE_MSGMETA: tables.msgmeta,
    STRATUS_TOKEN_KEY: randomBytes(32).toString('base64'),
    STRATUS_ADMIN_TOKEN: randomBytes(16).toString('hex'),
    STRATUS_IMAP_PORT: '0',
    STRATUS_IMAPS_PORT: 'off',
    STRATUS_POP3_PORT: 'off',
    STRATUS_ADMIN_PORT: 'off',
    STRATUS_LMTP_PORT: '0',
    STRATUS_ALLOW_PLAINTEXT_AUTH: 'true',
    STRATUS_AUTH_FAILURE_DELAY_MS: '0',
    STRATUS_LOG_LEVEL: 'warn',
    ...env,
  });
  // The SDK reads credentials from the environment.
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  const server = await startServer(config, pino({ level: 'warn' }));
  return {
    server,
    tables,
    async close() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
