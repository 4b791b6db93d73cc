// Builds the store a process runs on: SQLite + files under the data directory (embedded), or DynamoDB + S3 (aws).
// Both are wrapped in the call meter, so tests and benchmarks can count store calls per command.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../config.js';
import { operatorToken } from './admin-token.js';
import { hashAdminToken } from '../mailstore/tenants-functions.js';
import { ConfigError } from '../config.js';
import type { StoreContext } from '../mailstore/context.js';
import { InlineInvoker } from '../mailstore/invoker.js';
import { MailStoreClient } from '../mailstore/client.js';
import { SqliteKv } from '../storage/sqlite/sqlite-kv.js';
import { FsBlob } from '../storage/fs/fs-blob.js';
import { SqliteBlob } from '../storage/sqlite/sqlite-blob.js';
import { EmbeddedBlob } from '../storage/embedded-blob.js';
import { DynamoKv } from '../storage/dynamodb/dynamo-kv.js';
import { S3Blob } from '../storage/s3/s3-blob.js';
import { meterCapacity } from '../storage/dynamodb/capacity.js';
import { CallMeter, MeteredBlob, MeteredKv } from '../storage/metered.js';
import { FaultInjector, FaultyBlob, FaultyKv } from '../storage/faulty.js';
import { RetryingBlob, RetryingKv } from '../storage/retrying.js';
import type { BlobStore } from '../storage/blob.js';
import type { KvStore } from '../storage/kv.js';
import { S3Urls } from '../storage/s3/s3-urls.js';
import type { BlobUrls } from '../storage/blob-urls.js';
import type { Invoker } from '../mailstore/invoker.js';
import type { Operation } from '../mailstore/api.js';
import { LambdaInvoker, makeLambdaClient } from './lambda-invoker.js';
import { functionThreadEntry, ThreadInvoker, type ThreadLog } from './thread-invoker.js';
import { OAuthTokenVerifier } from '../auth/oauth-jwt.js';

export interface Store {
  ctx: StoreContext;
  client: MailStoreClient;
  meter: CallMeter;
  /** Present when STRATUS_FAULTS injects faults (soak runs). */
  faults?: FaultInjector;
  /** Present when the functions run in worker threads (STRATUS_FUNCTION_THREADS, thread-invoker.ts). */
  threads?: ThreadInvoker;
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  onFunctionError?: (err: unknown, op: Operation) => void;
  /**
   * Run the inline functions in this many worker threads (thread-invoker.ts), each with a store of its own opened
   * from the same config; 0 or unset: on this thread. `stratus serve` passes it (main.ts); the CLI and tools do not.
   */
  functionThreads?: number;
  /** Where the function threads' log lines (a thread that died, a failed seal) go. */
  log?: ThreadLog;
}

/** The embedded token key lives beside the data (mode 0600), so the CLI and the server agree on it. */
function embeddedTokenKey(dataDir: string): Uint8Array {
  const path = join(dataDir, 'token.key');
  if (!existsSync(path)) {
    writeFileSync(path, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  }
  chmodSync(path, 0o600);
  return Buffer.from(readFileSync(path, 'utf8').trim(), 'base64');
}

export function openStore(config: Config, options: OpenStoreOptions = {}): Store {
  const meter = new CallMeter();
  let kv: KvStore;
  let blob: BlobStore;
  let tokenKey: Uint8Array;
  let blobUrls: BlobUrls | undefined;
  if (config.backend === 'embedded') {
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    const database = join(config.dataDir, 'stratus.sqlite');
    kv = new SqliteKv(database);
    // Messages as rows of the KV's own database (same WAL: no fsync needed to order a blob before the commit naming
    // it, src/storage/embedded-blob.ts); larger objects, and every blob of an older data directory, as files. APPEND
    // reads a large message back right after writing it (to index it): keep what was just written in memory.
    blob = new EmbeddedBlob(new SqliteBlob(database), new FsBlob(join(config.dataDir, 'blobs'), { recentBytes: 32 * 1024 * 1024 }));
    tokenKey = config.tokenKey ? Buffer.from(config.tokenKey, 'base64') : embeddedTokenKey(config.dataDir);
  } else {
    // A frontend calling the Lambdas verifies no tokens and must not be able to mint them: it gets no key.
    if (!config.tokenKey && config.functions !== 'lambda') {
      throw new ConfigError('STRATUS_TOKEN_KEY (base64, 32 bytes) is required with STRATUS_BACKEND=aws');
    }
    tokenKey = config.tokenKey ? Buffer.from(config.tokenKey, 'base64') : randomBytes(32);
    const dynamo = new DynamoDBClient({ region: config.aws.region, endpoint: config.aws.dynamodbEndpoint });
    const s3 = new S3Client({
      region: config.aws.region,
      endpoint: config.aws.s3Endpoint,
      forcePathStyle: config.aws.s3Endpoint !== undefined,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    meterCapacity(dynamo, (kind, units) => meter.recordCapacity(kind, units));
    kv = new DynamoKv({ client: dynamo, tables: config.aws.tables });
    blob = new S3Blob({ client: s3, bucket: config.aws.bucket });
    if (config.presignSeconds > 0) blobUrls = new S3Urls({ client: s3, bucket: config.aws.bucket, expiresIn: config.presignSeconds });
  }
  if (tokenKey.length < 32) throw new ConfigError('The token key must be at least 32 bytes');
  // adapter → injected faults (soak runs only) → retries with backoff → call meter (counts calls as callers see them)
  const faults = config.faults ? new FaultInjector(config.faults) : undefined;
  if (faults) {
    kv = new FaultyKv(kv, faults);
    blob = new FaultyBlob(blob, faults);
  }
  const mkv = new MeteredKv(new RetryingKv(kv), meter);
  const mblob = new MeteredBlob(new RetryingBlob(blob), meter);
  const ctx: StoreContext = { kv: mkv, blob: mblob, tokenKey, maxMessageBytes: config.maxMessageBytes };
  if (blobUrls) ctx.blobUrls = blobUrls;
  // OAUTHBEARER: the verifier lives with the functions (auth.oauth), so a Lambda deployment verifies tokens there.
  if (config.oauth) ctx.oauth = new OAuthTokenVerifier(config.oauth);
  const adminToken = operatorToken(config);
  if (adminToken) ctx.adminTokenHash = hashAdminToken(adminToken);
  const threads = config.functions === 'inline' ? functionThreads(config, ctx, meter, options) : undefined;
  const invoker: Invoker =
    threads ??
    (config.functions === 'lambda'
      ? new LambdaInvoker({
          client: makeLambdaClient({ region: config.aws.region, endpoint: config.lambdaEndpoint, timeoutMs: config.lambdaTimeoutMs }),
          functionNames: config.functionNames,
          onError: options.onFunctionError,
        })
      : new InlineInvoker(ctx, { wire: false })); // one process: no JSON round trip per call (invoker.ts)
  return {
    ctx,
    client: new MailStoreClient(invoker, mblob, { bodyUrls: config.functions === 'lambda' }),
    meter,
    ...(faults ? { faults } : {}),
    ...(threads ? { threads } : {}),
    async close() {
      await threads?.close(); // drains the calls in flight and closes the threads' stores first
      await mkv.close();
      await mblob.close();
    },
  };
}

/**
 * The thread invoker when asked for and possible. The threads' change hints are published through this store's
 * `ctx.publishHint` (set by main.ts to the process's hint bus), read when each hint arrives.
 */
function functionThreads(config: Config, ctx: StoreContext, meter: CallMeter, options: OpenStoreOptions): ThreadInvoker | undefined {
  const count = options.functionThreads ?? 0;
  if (count === 0) return undefined;
  const log: ThreadLog = options.log ?? (() => undefined);
  const entry = functionThreadEntry();
  if (!entry) {
    // A build that bundled src/cli.ts alone (the Dockerfile's esbuild step) has no worker entry beside it.
    log('warn', { functionThreads: count }, 'no function-thread entry beside the server module: the functions run inline');
    return undefined;
  }
  try {
    structuredClone(config); // the threads get the config as workerData
  } catch (err) {
    log('warn', { err: err instanceof Error ? err.message : String(err) }, 'config cannot be passed to function threads: the functions run inline');
    return undefined;
  }
  log('info', { functionThreads: count }, 'functions run in worker threads');
  // `meter`: the threads' store calls count in this store's meter too (the call-budget tests read it).
  return new ThreadInvoker({ config, threads: count, entry, onHint: (hint) => ctx.publishHint?.(hint), log, meter });
}
