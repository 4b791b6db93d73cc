// A fault injector for the KV and Blob ports: wraps an adapter and makes it misbehave the way DynamoDB and S3 do
// (throttling, transaction conflicts, timeouts, 5xx, slow answers), with a seeded PRNG so a failing run repeats.
// Off unless STRATUS_FAULTS is set (soak runs) or a test builds one. Faults never corrupt: a timeout on a
// transaction may land after the write was applied (the answer was lost), which is what idempotency tokens are for.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Readable } from 'node:stream';
import { readWhole, type BlobBytes, type BlobStore, type ByteRange } from './blob.js';
import type { KvItem, KvKey, KvStore, QueryInput, ReadOptions, TableName, TransactOptions, TxAction, Update, WriteOptions } from './kv.js';
import { ThrottledError, TransactionConflictError, UnavailableError } from './errors.js';

/** Probabilities per call (0–1) of each fault, and how slow a slow answer is. */
export interface FaultSpec {
  seed: number;
  /** ThrottledError before the call (ProvisionedThroughputExceeded, S3 SlowDown). */
  throttle: number;
  /** TransactionConflictError before a transactWrite. */
  conflict: number;
  /** UnavailableError (timeout); on a transactWrite half of them strike after the write was applied. */
  timeout: number;
  /** UnavailableError (5xx) before the call. */
  unavailable: number;
  /** The answer comes `slowMs` late. */
  slow: number;
  slowMs: number;
}

export const NO_FAULTS: FaultSpec = { seed: 1, throttle: 0, conflict: 0, timeout: 0, unavailable: 0, slow: 0, slowMs: 0 };

/** A moderate mix for soak runs: `STRATUS_FAULTS=on`. */
export const DEFAULT_FAULTS: FaultSpec = { seed: 1, throttle: 0.02, conflict: 0.02, timeout: 0.01, unavailable: 0.02, slow: 0.05, slowMs: 20 };

/**
 * `off` / empty: undefined. `on`: DEFAULT_FAULTS. Otherwise `name=value` pairs separated by commas, over the defaults
 * of zero, e.g. `seed=7,throttle=0.05,timeout=0.01,slow=0.1,slowMs=50`.
 */
export function parseFaultSpec(raw: string | undefined): FaultSpec | undefined {
  const text = raw?.trim() ?? '';
  if (text === '' || text === 'off' || text === '0') return undefined;
  if (text === 'on' || text === '1') return { ...DEFAULT_FAULTS };
  const spec: FaultSpec = { ...NO_FAULTS };
  for (const part of text.split(',')) {
    const [name, value] = part.split('=').map((s) => s.trim());
    const n = Number(value);
    if (!name || !Object.hasOwn(spec, name) || value === undefined || value === '' || !Number.isFinite(n) || n < 0) {
      throw new Error(`STRATUS_FAULTS: bad entry "${part}" (want name=number with name one of ${Object.keys(spec).join(', ')})`);
    }
    if (name !== 'seed' && name !== 'slowMs' && n > 1) throw new Error(`STRATUS_FAULTS: ${name} is a probability (0–1), got ${n}`);
    spec[name as keyof FaultSpec] = n;
  }
  return spec;
}

/** mulberry32: tiny, fast, good enough to decide faults repeatably from a seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type FaultKind = 'throttle' | 'conflict' | 'timeout' | 'unavailable' | 'slow' | 'lostReply';

/** Decides the faults of both wrappers; `active = false` stops them (recovery tests), `injected` counts them. */
export class FaultInjector {
  active = true;
  readonly injected: Record<FaultKind, number> = { throttle: 0, conflict: 0, timeout: 0, unavailable: 0, slow: 0, lostReply: 0 };
  private readonly random: () => number;

  constructor(readonly spec: FaultSpec) {
    this.random = prng(spec.seed);
  }

  total(): number {
    return Object.values(this.injected).reduce((a, b) => a + b, 0);
  }

  private forced: { left: number; match: (actions: TxAction[]) => boolean; thenFail: number } | undefined;
  private outage = 0;

  /**
   * Scripted lost replies (tests): the next `count` transactions that `match` are applied and then answered with a
   * timeout, whatever the probabilities say and even while `active` is false. `thenFail` calls after each of them
   * fail with a 5xx before reaching the store: enough of them outlast the retry layer, as a longer outage would.
   */
  loseReplies(count: number, match: (actions: TxAction[]) => boolean = () => true, thenFail = 0): void {
    this.forced = count > 0 ? { left: count, match, thenFail } : undefined;
  }

  /** Whether this transaction's reply is to be lost by script (counted as a lostReply). */
  forcedLoss(actions: TxAction[]): boolean {
    if (!this.forced || !this.forced.match(actions)) return false;
    this.outage = this.forced.thenFail;
    if (--this.forced.left <= 0) this.forced = undefined;
    this.injected.lostReply += 1;
    return true;
  }

  private roll(kind: Exclude<FaultKind, 'lostReply'>): boolean {
    const p = this.spec[kind];
    if (!this.active || p <= 0) return false;
    if (this.random() >= p) return false;
    this.injected[kind] += 1;
    return true;
  }

  /** Runs before a call: may wait, may throw a fault that leaves the store untouched. */
  async before(op: string, options: { transaction?: boolean } = {}): Promise<void> {
    if (this.outage > 0) {
      this.outage -= 1;
      this.injected.unavailable += 1;
      throw new UnavailableError(`injected fault: ${op} 503 (scripted outage)`);
    }
    if (this.roll('slow')) await sleep(this.spec.slowMs);
    if (this.roll('throttle')) throw new ThrottledError(`injected fault: ${op} throttled`);
    if (options.transaction && this.roll('conflict')) throw new TransactionConflictError(`injected fault: ${op} conflict`);
    if (this.roll('unavailable')) throw new UnavailableError(`injected fault: ${op} 503`);
  }

  /**
   * A timeout. `beforeApply` says whether it struck before the call reached the store; when false (transactions
   * only) the write happened and only the answer was lost.
   */
  timeout(ambiguous: boolean): 'none' | 'before' | 'after' {
    if (!this.roll('timeout')) return 'none';
    if (ambiguous && this.random() < 0.5) {
      this.injected.lostReply += 1;
      return 'after';
    }
    return 'before';
  }
}

const timedOut = (op: string) => new UnavailableError(`injected fault: ${op} timed out`);

/**
 * Single reads and writes fail only before they reach the store: a conditional put retried after a lost reply would
 * fail its own condition, and the port has no token for single writes (DynamoDB neither).
 */
export class FaultyKv implements KvStore {
  constructor(
    private readonly inner: KvStore,
    readonly faults: FaultInjector,
  ) {}

  private async guard<T>(op: string, call: () => Promise<T>): Promise<T> {
    await this.faults.before(op);
    if (this.faults.timeout(false) !== 'none') throw timedOut(op);
    return call();
  }

  get(table: TableName, key: KvKey, options?: ReadOptions): Promise<KvItem | undefined> {
    return this.guard('get', () => this.inner.get(table, key, options));
  }
  batchGet(table: TableName, keys: KvKey[], options?: ReadOptions): Promise<KvItem[]> {
    return this.guard('batchGet', () => this.inner.batchGet(table, keys, options));
  }
  query(table: TableName, input: QueryInput) {
    return this.guard('query', () => this.inner.query(table, input));
  }
  put(table: TableName, item: KvItem, options?: WriteOptions): Promise<void> {
    return this.guard('put', () => this.inner.put(table, item, options));
  }
  update(table: TableName, key: KvKey, update: Update, options?: WriteOptions): Promise<KvItem> {
    return this.guard('update', () => this.inner.update(table, key, update, options));
  }
  delete(table: TableName, key: KvKey, options?: WriteOptions): Promise<void> {
    return this.guard('delete', () => this.inner.delete(table, key, options));
  }
  async transactWrite(actions: TxAction[], options?: TransactOptions): Promise<void> {
    if (this.faults.forcedLoss(actions)) {
      await this.inner.transactWrite(actions, options);
      throw timedOut('transactWrite (after commit, scripted)');
    }
    await this.faults.before('transactWrite', { transaction: true });
    // Only a transaction with a token can be told apart from its replay, so only it risks a lost reply.
    const when = this.faults.timeout(options?.token !== undefined);
    if (when === 'before') throw timedOut('transactWrite');
    await this.inner.transactWrite(actions, options);
    if (when === 'after') throw timedOut('transactWrite (after commit)');
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/**
 * A streamed put cannot be replayed, so it fails only after the stream was consumed (the object is then an orphan
 * for the GC, as after any failed APPEND); a put from bytes fails before.
 */
export class FaultyBlob implements BlobStore, BlobBytes {
  constructor(
    private readonly inner: BlobStore,
    readonly faults: FaultInjector,
  ) {}

  private async guard<T>(op: string, call: () => Promise<T>): Promise<T> {
    await this.faults.before(op);
    if (this.faults.timeout(false) !== 'none') throw timedOut(op);
    return call();
  }

  async put(key: string, body: Readable | Uint8Array, length: number): Promise<void> {
    if (body instanceof Uint8Array) return this.guard('blob.put', () => this.inner.put(key, body, length));
    await this.inner.put(key, body, length);
    await this.faults.before('blob.put');
    if (this.faults.timeout(false) !== 'none') throw timedOut('blob.put');
  }
  get(key: string, range?: ByteRange): Promise<Readable> {
    return this.guard('blob.get', () => this.inner.get(key, range));
  }
  /** BlobBytes: the inner store's own `getBytes` when it has one, so soak runs take the same read path. */
  getBytes(key: string, range?: ByteRange): Promise<Buffer> {
    const inner = this.inner as BlobStore & Partial<BlobBytes>;
    return this.guard('blob.get', async () => (inner.getBytes !== undefined ? inner.getBytes(key, range) : readWhole(await inner.get(key, range))));
  }
  head(key: string) {
    return this.guard('blob.head', () => this.inner.head(key));
  }
  delete(key: string): Promise<void> {
    return this.guard('blob.delete', () => this.inner.delete(key));
  }
  list(prefix: string, options?: { cursor?: string; limit?: number }) {
    return this.guard('blob.list', () => this.inner.list(prefix, options));
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
