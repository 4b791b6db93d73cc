// The two real backends every mail-store test runs on: SQLite + files, and DynamoDB Local + the S3 stand-in that
// test/run.mjs starts. A missing AWS endpoint fails the test (it never skips).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import type { BlobStore } from '../src/storage/blob.js';
import type { KvStore } from '../src/storage/kv.js';
import { SqliteKv } from '../src/storage/sqlite/sqlite-kv.js';
import { FsBlob } from '../src/storage/fs/fs-blob.js';
import { SqliteBlob } from '../src/storage/sqlite/sqlite-blob.js';
import { EmbeddedBlob } from '../src/storage/embedded-blob.js';
import { DynamoKv } from '../src/storage/dynamodb/dynamo-kv.js';
import { S3Blob } from '../src/storage/s3/s3-blob.js';
import { CallMeter, MeteredBlob, MeteredKv } from '../src/storage/metered.js';
import type { StoreContext } from '../src/mailstore/context.js';

export interface TestBackend {
  kv: KvStore;
  blob: BlobStore;
  meter: CallMeter;
  ctx: StoreContext;
  close(): Promise<void>;
}

export interface BackendFactory {
  name: string;
  open(): Promise<TestBackend>;
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests with \`npm test\`, which starts DynamoDB Local and S3`);
  return value;
}

function contextOf(kv: KvStore, blob: BlobStore, close: () => Promise<void>): TestBackend {
  const meter = new CallMeter();
  const mkv = new MeteredKv(kv, meter);
  const mblob = new MeteredBlob(blob, meter);
  return {
    kv: mkv,
    blob: mblob,
    meter,
    ctx: { kv: mkv, blob: mblob, tokenKey: randomBytes(32), maxMessageBytes: 64 * 1024 * 1024 },
    close,
  };
}

export const sqliteBackend: BackendFactory = {
  name: 'sqlite+fs',
  async open() {
    const dir = mkdtempSync(join(tmpdir(), 'stratus-test-'));
    const kv = new SqliteKv(join(dir, 'stratus.sqlite'));
    // As `stratus serve` wires it (src/server/store.ts): small blobs as rows of the KV's database, larger ones files.
    // The threshold is lower than the server's, so the mail-store tests (GC, snapshots) see both places at once.
    const blob = new EmbeddedBlob(new SqliteBlob(join(dir, 'stratus.sqlite')), new FsBlob(join(dir, 'blobs')), { smallMaxBytes: 2048 });
    return contextOf(kv, blob, async () => {
      await kv.close();
      await blob.close();
      rmSync(dir, { recursive: true, force: true });
    });
  },
};

export const awsBackend: BackendFactory = {
  name: 'dynamodb-local+s3',
  async open() {
    const run = randomUUID().slice(0, 8);
    const tables = { mail: `stratus-ms-${run}-mail`, msgmeta: `stratus-ms-${run}-msgmeta` };
    const dynamo = new DynamoDBClient({
      endpoint: requiredEnv('STRATUS_TEST_DYNAMODB_ENDPOINT'),
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    await DynamoKv.createTables(dynamo, tables);
    const s3 = new S3Client({
      endpoint: requiredEnv('STRATUS_TEST_S3_ENDPOINT'),
      region: 'us-east-1',
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    const kv = new DynamoKv({ client: dynamo, tables });
    const blob = new S3Blob({ client: s3, bucket: requiredEnv('STRATUS_TEST_S3_BUCKET'), prefix: `ms-${run}/` });
    return contextOf(kv, blob, async () => {
      dynamo.destroy();
      s3.destroy();
    });
  },
};

export const backends: BackendFactory[] = [sqliteBackend, awsBackend];
