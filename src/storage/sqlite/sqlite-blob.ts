// The Blob port as a table of a SQLite database: one row per key, the bytes in the row. Meant for small objects
// (messages) in the embedded backend's own database file, where a put is one INSERT and a get one SELECT: no file
// to create, fsync, rename or open (see src/storage/embedded-blob.ts for why that keeps APPEND's ordering).
import Database from 'better-sqlite3';
import { sqliteGuard } from './sqlite-errors.js';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { BlobHead, BlobListEntry, BlobListPage, BlobStore, ByteRange } from '../blob.js';
import { BlobNotFoundError, StorageError } from '../errors.js';

const DEFAULT_LIST_LIMIT = 1000;
const BUSY_TIMEOUT_MS = 10_000;

interface HeadRow {
  size: number;
  modified: number;
}

interface ListRow extends HeadRow {
  key: string;
}

/** An object read whole or in part: its size and the bytes asked for. */
export interface SqliteBlobRead {
  size: number;
  bytes: Buffer;
}

export interface SqliteBlobOptions {
  /** Milliseconds to wait for another connection's write lock before giving up with TransactionConflictError. */
  busyTimeoutMs?: number;
  /** Clock for `lastModified` and for `freshTtlMs` (tests). */
  now?: () => number;
  /**
   * Bytes of objects this connection wrote and nobody has read since, kept to answer that first read without a
   * SELECT (default 4 MiB in all; 0: off). See `fresh` in SqliteBlob.
   */
  freshBytes?: number;
  /** How long such a copy is kept unread (default 10 s). */
  freshTtlMs?: number;
}

const DEFAULT_FRESH_BYTES = 4 * 1024 * 1024;
const DEFAULT_FRESH_TTL_MS = 10_000;

/** An object this connection wrote, not read since: its bytes and the row's `modified`. */
interface FreshObject {
  bytes: Buffer;
  modified: number;
}

/** Reads a put's body whole, exactly `length` bytes, or throws (a short, long or failed stream stores nothing). */
async function gather(key: string, body: Readable | Uint8Array, length: number): Promise<Buffer> {
  if (body instanceof Uint8Array) {
    if (body.byteLength !== length) throw new StorageError(`blob ${key}: body has ${body.byteLength} bytes, not ${length}`);
    return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  }
  const chunks: Buffer[] = [];
  let read = 0;
  try {
    for await (const chunk of body as AsyncIterable<Uint8Array | string>) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      read += bytes.byteLength;
      if (read > length) throw new StorageError(`blob ${key}: body is longer than ${length} bytes`);
      chunks.push(bytes);
    }
  } catch (error) {
    body.destroy();
    throw error instanceof StorageError ? error : new StorageError(`blob ${key}: ${(error as Error).message}`);
  }
  if (read !== length) throw new StorageError(`blob ${key}: body ended after ${read} of ${length} bytes`);
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, length);
}

/** A stream of one buffer (or none), without the async-iterator machinery of `Readable.from`. */
export function streamOf(bytes: Buffer): Readable {
  const stream = new Readable({ read() {} });
  if (bytes.length > 0) stream.push(bytes);
  stream.push(null);
  return stream;
}

export class SqliteBlob implements BlobStore {
  private readonly db: Database.Database;
  private readonly now: () => number;
  /**
   * APPEND writes a message's bytes (the frontend's put) and the function reads them straight back to index them
   * (messages.ts readStaged): in one process that read is answered from here, with no SELECT of the row just
   * inserted (issue #8). Each copy answers ONE read and is dropped by it (and by a delete or another put of the key
   * through this connection, or after `freshTtlMs` unread), so the memory held is what is between a put and its
   * read, at most `freshBytes`, oldest out first. Why that is correct with other connections and processes on the
   * same file: every key written is unique and immutable (an emailId, a content- or randomly named snapshot or
   * segment, a staging id: src/mailstore/keys.ts blobKeys), so another writer never puts other bytes under it, and
   * the only deleter of a key this process just wrote without reading is the GC, which deletes no blob younger than
   * its grace period (hours), far beyond `freshTtlMs`.
   */
  private readonly fresh = new Map<string, FreshObject>();
  private freshTotal = 0;
  private readonly freshBytes: number;
  private readonly freshTtlMs: number;
  private readonly insert: Database.Statement<[string, number, number, Buffer]>;
  private readonly selectWhole: Database.Statement<[string], HeadRow & { bytes: Buffer }>;
  /** substr() on a BLOB counts bytes from 1; only the asked-for bytes are copied out of SQLite. */
  private readonly selectRange: Database.Statement<[number, number, string], HeadRow & { bytes: Buffer | null }>;
  private readonly selectHead: Database.Statement<[string], HeadRow>;
  private readonly remove: Database.Statement<[string]>;
  private readonly listFrom: Database.Statement<[string, string, number], ListRow>;

  /**
   * `path` is a database file (created with its directory if missing) or ':memory:'. The table lives beside whatever
   * else the file holds (the KV's tables, in the embedded backend); WAL lets several connections and processes share it.
   */
  constructor(path: string, options: SqliteBlobOptions = {}) {
    if (path !== ':memory:' && !path.startsWith('file:')) mkdirSync(dirname(path), { recursive: true });
    this.now = options.now ?? Date.now;
    this.freshBytes = options.freshBytes ?? DEFAULT_FRESH_BYTES;
    this.freshTtlMs = options.freshTtlMs ?? DEFAULT_FRESH_TTL_MS;
    this.db = new Database(path, { timeout: options.busyTimeoutMs ?? BUSY_TIMEOUT_MS });
    this.db.pragma('journal_mode = WAL');
    // Per connection: a commit is appended to the WAL and not fsynced. Recovery keeps a prefix of the WAL's commits.
    this.db.pragma('synchronous = NORMAL');
    // Checkpoints run on the KV's worker thread (wal-checkpointer.ts: SAFETY_AUTOCHECKPOINT_PAGES, JOURNAL_SIZE_LIMIT_BYTES),
    // not inside an INSERT here on the event loop; this connection's own is the 64 MB safety net.
    this.db.pragma('wal_autocheckpoint = 16384');
    this.db.pragma('journal_size_limit = 16777216');
    // A rowid table: size and modified sit in the row's first page, so head and list never read the bytes' overflow pages.
    this.db.exec('CREATE TABLE IF NOT EXISTS blob_objects (key TEXT NOT NULL PRIMARY KEY, size INTEGER NOT NULL, modified INTEGER NOT NULL, bytes BLOB NOT NULL)');
    this.insert = this.db.prepare('INSERT OR REPLACE INTO blob_objects (key, size, modified, bytes) VALUES (?, ?, ?, ?)');
    this.selectWhole = this.db.prepare('SELECT size, modified, bytes FROM blob_objects WHERE key = ?');
    this.selectRange = this.db.prepare('SELECT size, modified, substr(bytes, ?, ?) AS bytes FROM blob_objects WHERE key = ?');
    this.selectHead = this.db.prepare('SELECT size, modified FROM blob_objects WHERE key = ?');
    this.remove = this.db.prepare('DELETE FROM blob_objects WHERE key = ?');
    // TEXT under the BINARY collation compares UTF-8 bytes (memcmp): the port's ascending byte order.
    this.listFrom = this.db.prepare('SELECT key, size, modified FROM blob_objects WHERE key >= ? AND key > ? ORDER BY key LIMIT ?');
  }

  async put(key: string, body: Readable | Uint8Array, length: number): Promise<void> {
    checkKey(key);
    if (!Number.isSafeInteger(length) || length < 0) throw new StorageError(`invalid length ${length}`);
    const bytes = await gather(key, body, length);
    // A put is the one call of an APPEND that used to wait on I/O; without a turn of the event loop here, a loop of
    // APPENDs whose bodies are in memory would run on microtasks alone and starve timers, sockets and file reads.
    await yieldToEventLoop();
    this.write(key, bytes);
  }

  /** Stores bytes already in memory, synchronously (one INSERT in its own transaction). */
  write(key: string, bytes: Buffer): void {
    const modified = this.now();
    this.dropFresh(key);
    this.guard(() => this.insert.run(key, bytes.length, modified, bytes));
    this.keepFresh(key, bytes, modified);
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    checkKey(key);
    const found = this.read(key, range);
    if (found === undefined) throw new BlobNotFoundError(key);
    return streamOf(found.bytes);
  }

  /** BlobBytes (src/storage/blob.ts): the row's bytes as they come out of SQLite, no stream. */
  async getBytes(key: string, range?: ByteRange): Promise<Buffer> {
    checkKey(key);
    const found = this.read(key, range);
    if (found === undefined) throw new BlobNotFoundError(key);
    return found.bytes;
  }

  /** The object's bytes (or the range of them, clamped), or undefined when the key has no row. Synchronous. */
  read(key: string, range?: ByteRange): SqliteBlobRead | undefined {
    const fresh = this.takeFresh(key);
    if (fresh !== undefined) {
      if (range === undefined) return { size: fresh.length, bytes: fresh };
      // As substr() below: from max(0, start), end inclusive, clamped to the object; empty past its end.
      const start = Math.max(0, range.start);
      const end = Math.min(fresh.length, Math.max(start, range.end + 1));
      return { size: fresh.length, bytes: fresh.subarray(Math.min(start, fresh.length), end) };
    }
    if (range === undefined) {
      const row = this.guard(() => this.selectWhole.get(key));
      return row === undefined ? undefined : { size: row.size, bytes: row.bytes };
    }
    const start = Math.max(0, range.start);
    const count = Math.max(0, range.end - start + 1);
    const row = this.guard(() => this.selectRange.get(start + 1, count, key));
    if (row === undefined) return undefined;
    return { size: row.size, bytes: row.bytes ?? Buffer.alloc(0) };
  }

  async head(key: string): Promise<BlobHead | undefined> {
    checkKey(key);
    return this.stat(key);
  }

  /** Synchronous head. */
  stat(key: string): BlobHead | undefined {
    const fresh = this.fresh.get(key);
    if (fresh !== undefined && this.now() - fresh.modified <= this.freshTtlMs) return { size: fresh.bytes.length, lastModified: new Date(fresh.modified) };
    const row = this.guard(() => this.selectHead.get(key));
    return row === undefined ? undefined : { size: row.size, lastModified: new Date(row.modified) };
  }

  async delete(key: string): Promise<void> {
    checkKey(key);
    this.erase(key);
  }

  /** Synchronous delete; true when a row was there. */
  erase(key: string): boolean {
    this.dropFresh(key);
    return this.guard(() => this.remove.run(key)).changes > 0;
  }

  async list(prefix: string, options: { cursor?: string; limit?: number } = {}): Promise<BlobListPage> {
    const limit = options.limit ?? DEFAULT_LIST_LIMIT;
    const after = options.cursor === undefined ? undefined : Buffer.from(options.cursor, 'base64url').toString('utf8');
    const { entries, more } = this.listRange(prefix, after, limit);
    const last = entries[entries.length - 1];
    return more && last !== undefined ? { entries, cursor: Buffer.from(last.key, 'utf8').toString('base64url') } : { entries };
  }

  /**
   * Up to `limit` entries with the prefix and a key after `after` (when given), in ascending byte order, and whether
   * more may follow. Keys with a prefix are contiguous in that order: the scan stops at the first key without it.
   */
  listRange(prefix: string, after: string | undefined, limit: number): { entries: BlobListEntry[]; more: boolean } {
    if (!(limit >= 1)) throw new StorageError('list limit must be at least 1');
    return this.guard(() => {
      const entries: BlobListEntry[] = [];
      let more = false;
      // Every key is non-empty, so `key > ''` holds for all when there is no cursor.
      for (const row of this.listFrom.iterate(prefix, after ?? '', limit + 1)) {
        if (!row.key.startsWith(prefix)) break;
        if (entries.length >= limit) {
          more = true;
          break;
        }
        entries.push({ key: row.key, size: row.size, lastModified: new Date(row.modified) });
      }
      return { entries, more };
    });
  }

  async close(): Promise<void> {
    this.fresh.clear();
    this.freshTotal = 0;
    if (this.db.open) this.db.close();
  }

  /** Bytes kept for a first read (`fresh`), in all. */
  get freshHeld(): number {
    return this.freshTotal;
  }

  private keepFresh(key: string, bytes: Buffer, modified: number): void {
    if (bytes.length > this.freshBytes) return;
    this.fresh.set(key, { bytes, modified });
    this.freshTotal += bytes.length;
    // Oldest first (Map order is insertion order): over the budget, or unread for too long.
    for (const [oldKey, old] of this.fresh) {
      if (this.freshTotal <= this.freshBytes && modified - old.modified <= this.freshTtlMs) break;
      this.dropFresh(oldKey);
    }
  }

  /** The kept bytes of `key`, dropped from `fresh` as they are handed out (one read each). */
  private takeFresh(key: string): Buffer | undefined {
    const found = this.fresh.get(key);
    if (found === undefined) return undefined;
    this.dropFresh(key);
    return this.now() - found.modified <= this.freshTtlMs ? found.bytes : undefined;
  }

  private dropFresh(key: string): void {
    const found = this.fresh.get(key);
    if (found === undefined) return;
    this.fresh.delete(key);
    this.freshTotal -= found.bytes.length;
  }

  /** Maps SQLite failures to the port's typed errors (sqlite-errors.ts). */
  private guard<T>(body: () => T): T {
    return sqliteGuard(this.db, body);
  }
}

function checkKey(key: string): void {
  if (typeof key !== 'string' || key === '') throw new StorageError(`invalid blob key ${JSON.stringify(key)}`);
}
