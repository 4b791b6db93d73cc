// The one place transient store failures are retried: throttling, conflicts, timeouts and 5xx get exponential backoff
// with full jitter (AWS Architecture Blog, "Exponential Backoff and Jitter"); what still fails is thrown for the mail
// store to answer UNAVAILABLE. A transaction keeps one idempotency token across its retries, so a retry after a lost
// reply is a no-op (DynamoDB ClientRequestToken; the SQLite adapter keeps tokens the same way).
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Readable } from 'node:stream';
import { readWhole, type BlobBytes, type BlobStore, type ByteRange } from './blob.js';
import type { KvItem, KvKey, KvStore, QueryInput, ReadOptions, TableName, TransactOptions, TxAction, Update, WriteOptions } from './kv.js';
import { ThrottledError, TransactionConflictError, UnavailableError } from './errors.js';

export interface RetryPolicy {
  /** Tries in all, the first included. */
  attempts: number;
  baseMs: number;
  capMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseMs: 10, capMs: 400 };

export function isTransient(err: unknown): boolean {
  return err instanceof ThrottledError || err instanceof UnavailableError || err instanceof TransactionConflictError;
}

/** Counts retries, so tests and the soak report can show the service rode them out. */
export interface RetryStats {
  retries: number;
  gaveUp: number;
}

export async function withRetry<T>(policy: RetryPolicy, stats: RetryStats, call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      await backOff(policy, stats, err, attempt);
    }
  }
}

/** After failed try `attempt`: throws `err` when it is not worth another try, else sleeps before the next one. */
async function backOff(policy: RetryPolicy, stats: RetryStats, err: unknown, attempt: number): Promise<void> {
  if (!isTransient(err)) throw err;
  if (attempt >= policy.attempts) {
    stats.gaveUp += 1;
    throw err;
  }
  stats.retries += 1;
  await sleep(Math.random() * Math.min(policy.capMs, policy.baseMs * 2 ** attempt));
}

/**
 * `withRetry` for a call whose first try has already been made and returned `first` — the common case, a first try
 * that succeeds, costs one async frame and no closure. Only a failed first try pays for `again` and the loop.
 */
async function retryAfterFirst<T>(policy: RetryPolicy, stats: RetryStats, first: Promise<T>, again: () => Promise<T>): Promise<T> {
  try {
    return await first;
  } catch (err) {
    await backOff(policy, stats, err, 1);
  }
  for (let attempt = 2; ; attempt++) {
    try {
      return await again();
    } catch (err) {
      await backOff(policy, stats, err, attempt);
    }
  }
}

export class RetryingKv implements KvStore {
  readonly stats: RetryStats = { retries: 0, gaveUp: 0 };

  constructor(
    private readonly inner: KvStore,
    private readonly policy: RetryPolicy = DEFAULT_RETRY,
  ) {}

  private retry<T>(call: () => Promise<T>): Promise<T> {
    return withRetry(this.policy, this.stats, call);
  }

  get(table: TableName, key: KvKey, options?: ReadOptions): Promise<KvItem | undefined> {
    // Every command's META read comes through here: the first try without a closure (retryAfterFirst).
    let first: Promise<KvItem | undefined>;
    try {
      first = this.inner.get(table, key, options);
    } catch (err) {
      first = Promise.reject(err);
    }
    return retryAfterFirst(this.policy, this.stats, first, () => this.inner.get(table, key, options));
  }
  batchGet(table: TableName, keys: KvKey[], options?: ReadOptions): Promise<KvItem[]> {
    return this.retry(() => this.inner.batchGet(table, keys, options));
  }
  query(table: TableName, input: QueryInput) {
    return this.retry(() => this.inner.query(table, input));
  }
  put(table: TableName, item: KvItem, options?: WriteOptions): Promise<void> {
    return this.retry(() => this.inner.put(table, item, options));
  }
  update(table: TableName, key: KvKey, update: Update, options?: WriteOptions): Promise<KvItem> {
    return this.retry(() => this.inner.update(table, key, update, options));
  }
  delete(table: TableName, key: KvKey, options?: WriteOptions): Promise<void> {
    return this.retry(() => this.inner.delete(table, key, options));
  }
  transactWrite(actions: TxAction[], options?: TransactOptions): Promise<void> {
    const token = options?.token ?? randomUUID();
    return this.retry(() => this.inner.transactWrite(actions, { ...options, token }));
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

export class RetryingBlob implements BlobStore {
  readonly stats: RetryStats = { retries: 0, gaveUp: 0 };

  constructor(
    private readonly inner: BlobStore,
    private readonly policy: RetryPolicy = DEFAULT_RETRY,
  ) {}

  private retry<T>(call: () => Promise<T>): Promise<T> {
    return withRetry(this.policy, this.stats, call);
  }

  put(key: string, body: Readable | Uint8Array, length: number): Promise<void> {
    // A stream can be read once: only bytes in memory are replayed.
    if (!(body instanceof Uint8Array)) return this.inner.put(key, body, length);
    return this.retry(() => this.inner.put(key, body, length));
  }
  get(key: string, range?: ByteRange): Promise<Readable> {
    return this.retry(() => this.inner.get(key, range));
  }
  /**
   * An object or a range of it as bytes in memory (BlobBytes): the inner store's own `getBytes` when it has one
   * (rows of the embedded table need no stream), else its stream read whole. A read is idempotent, so the whole of
   * it is retried, not only the opening.
   */
  getBytes(key: string, range?: ByteRange): Promise<Buffer> {
    const inner = this.inner as BlobStore & Partial<BlobBytes>;
    if (inner.getBytes !== undefined) return this.retry(() => inner.getBytes!(key, range));
    return this.retry(async () => readWhole(await inner.get(key, range)));
  }
  head(key: string) {
    return this.retry(() => this.inner.head(key));
  }
  delete(key: string): Promise<void> {
    return this.retry(() => this.inner.delete(key));
  }
  list(prefix: string, options?: { cursor?: string; limit?: number }) {
    return this.retry(() => this.inner.list(prefix, options));
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
