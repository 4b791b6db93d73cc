// Counts every call that reaches a port, so tests and benchmarks can assert call budgets (calls, not time).
import { AsyncLocalStorage } from 'node:async_hooks';
import { Transform, type Readable } from 'node:stream';
import { readWhole, type BlobBytes, type BlobStore, type ByteRange } from './blob.js';
import type { KvKey, KvItem, KvStore, QueryInput, ReadOptions, TableName, TransactOptions, TxAction, Update, WriteOptions } from './kv.js';

export interface CallCounts {
  kv: number;
  blob: number;
  /** Bytes that flowed out of blob GETs. */
  blobBytesRead: number;
  /** DynamoDB read / write capacity units, as DynamoDB reports them (0 on other backends). */
  rru: number;
  wru: number;
  byOp: Record<string, number>;
}

export class CallMeter {
  counts: CallCounts = CallMeter.zero();
  /** Counts of the async context running now (one IMAP command, say), so concurrent sessions are told apart. */
  readonly scope = new AsyncLocalStorage<CallCounts>();

  static zero(): CallCounts {
    return { kv: 0, blob: 0, blobBytesRead: 0, rru: 0, wru: 0, byOp: {} };
  }

  /** Every port call passes here: no array, no string built per call (issue #8). */
  record(port: 'kv' | 'blob', op: string): void {
    const name = opName(port, op);
    count(this.counts, port, name);
    const scoped = this.scope.getStore();
    if (scoped) count(scoped, port, name);
  }

  recordCapacity(kind: 'read' | 'write', units: number): void {
    for (const counts of [this.counts, this.scope.getStore()]) {
      if (!counts) continue;
      if (kind === 'read') counts.rru += units;
      else counts.wru += units;
    }
  }

  /** Bytes that came out of a blob read. */
  recordBytesRead(n: number, scoped = this.scope.getStore()): void {
    this.counts.blobBytesRead += n;
    if (scoped) scoped.blobBytesRead += n;
  }

  /** Adds counts made elsewhere (a function thread's meter, thread-invoker.ts) to this meter's, outside any scope. */
  add(more: CallCounts): void {
    const into = this.counts;
    into.kv += more.kv;
    into.blob += more.blob;
    into.blobBytesRead += more.blobBytesRead;
    into.rru += more.rru;
    into.wru += more.wru;
    for (const [op, n] of Object.entries(more.byOp)) into.byOp[op] = (into.byOp[op] ?? 0) + n;
  }

  /** A copy of the counts now, to diff against later. */
  snapshot(): CallCounts {
    return { ...this.counts, byOp: { ...this.counts.byOp } };
  }

  static diff(after: CallCounts, before: CallCounts): CallCounts {
    const byOp: Record<string, number> = {};
    for (const [op, n] of Object.entries(after.byOp)) {
      const d = n - (before.byOp[op] ?? 0);
      if (d !== 0) byOp[op] = d;
    }
    return {
      kv: after.kv - before.kv,
      blob: after.blob - before.blob,
      blobBytesRead: after.blobBytesRead - before.blobBytesRead,
      rru: after.rru - before.rru,
      wru: after.wru - before.wru,
      byOp,
    };
  }
}

const opNames = { kv: new Map<string, string>(), blob: new Map<string, string>() };

/** `kv.get` and the like, made once per operation name. */
function opName(port: 'kv' | 'blob', op: string): string {
  const names = opNames[port];
  let name = names.get(op);
  if (name === undefined) names.set(op, (name = `${port}.${op}`));
  return name;
}

function count(counts: CallCounts, port: 'kv' | 'blob', name: string): void {
  counts[port] += 1;
  counts.byOp[name] = (counts.byOp[name] ?? 0) + 1;
}

export class MeteredKv implements KvStore {
  constructor(
    private readonly inner: KvStore,
    private readonly meter: CallMeter,
  ) {}

  get(table: TableName, key: KvKey, options?: ReadOptions): Promise<KvItem | undefined> {
    this.meter.record('kv', 'get');
    return this.inner.get(table, key, options);
  }
  batchGet(table: TableName, keys: KvKey[], options?: ReadOptions): Promise<KvItem[]> {
    this.meter.record('kv', 'batchGet');
    return this.inner.batchGet(table, keys, options);
  }
  query(table: TableName, input: QueryInput) {
    this.meter.record('kv', 'query');
    return this.inner.query(table, input);
  }
  put(table: TableName, item: KvItem, options?: WriteOptions): Promise<void> {
    this.meter.record('kv', 'put');
    return this.inner.put(table, item, options);
  }
  update(table: TableName, key: KvKey, update: Update, options?: WriteOptions): Promise<KvItem> {
    this.meter.record('kv', 'update');
    return this.inner.update(table, key, update, options);
  }
  delete(table: TableName, key: KvKey, options?: WriteOptions): Promise<void> {
    this.meter.record('kv', 'delete');
    return this.inner.delete(table, key, options);
  }
  transactWrite(actions: TxAction[], options?: TransactOptions): Promise<void> {
    this.meter.record('kv', 'transactWrite');
    return this.inner.transactWrite(actions, options);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

export class MeteredBlob implements BlobStore {
  constructor(
    private readonly inner: BlobStore,
    private readonly meter: CallMeter,
  ) {}

  put(key: string, body: Readable | Uint8Array, length: number): Promise<void> {
    this.meter.record('blob', 'put');
    return this.inner.put(key, body, length);
  }
  async get(key: string, range?: ByteRange): Promise<Readable> {
    this.meter.record('blob', 'get');
    const stream = await this.inner.get(key, range);
    // Count what actually flows, so a test can tell a ranged read from a whole-object read. A pass-through keeps
    // the stream paused until its consumer reads (listening for 'data' here would start it flowing early).
    const scoped = this.meter.scope.getStore();
    const meter = this.meter;
    const counted = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        meter.counts.blobBytesRead += chunk.length;
        if (scoped) scoped.blobBytesRead += chunk.length;
        done(null, chunk);
      },
    });
    stream.on('error', (err) => counted.destroy(err));
    counted.on('close', () => {
      if (!stream.destroyed) stream.destroy();
    });
    return stream.pipe(counted);
  }
  /** Counted as the `get` it stands for, bytes included, so call budgets do not depend on the form of a read. */
  async getBytes(key: string, range?: ByteRange): Promise<Buffer> {
    this.meter.record('blob', 'get');
    const scoped = this.meter.scope.getStore();
    const inner = this.inner as BlobStore & Partial<BlobBytes>;
    const bytes = inner.getBytes !== undefined ? await inner.getBytes(key, range) : await readWhole(await inner.get(key, range));
    this.meter.recordBytesRead(bytes.length, scoped);
    return bytes;
  }
  head(key: string) {
    this.meter.record('blob', 'head');
    return this.inner.head(key);
  }
  delete(key: string): Promise<void> {
    this.meter.record('blob', 'delete');
    return this.inner.delete(key);
  }
  list(prefix: string, options?: { cursor?: string; limit?: number }) {
    this.meter.record('blob', 'list');
    return this.inner.list(prefix, options);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
