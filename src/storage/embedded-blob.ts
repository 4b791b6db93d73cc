// The embedded backend's Blob port: small objects (messages) as rows of a table in the KV's own SQLite database,
// large ones (index snapshots, big attachments) as files.
//
// Why the table may skip every fsync: APPEND puts the bytes and then commits the KV transaction that names them, and
// a commit that survives a crash must never name a missing blob. Files get that order from fsyncing the blob before
// the commit. A row gets it for free when it sits in the SAME database file, so in the same write-ahead log: WAL
// commits are appended in order, and recovery after a crash keeps a prefix of them (the KV runs with synchronous =
// NORMAL, so no commit is fsynced when it returns; a checkpoint or the next fsync of the WAL makes a prefix durable).
// The blob's commit precedes the KV commit that references it, so whatever prefix survives holds the blob whenever it
// holds the reference. The table is opened through its own connection to the KV's file (same file, same WAL): its
// pages do not push the KV's hot pages out of the KV connection's cache, and it works the same across processes
// (STRATUS_WORKERS), where WAL plus a busy timeout serialise writers.
//
// Where a key lives: a put of at most `smallMaxBytes` writes a row; a larger put writes a file and then deletes a
// row of that key. Reads try the row first and fall back to the file, so (1) a data directory from before this store
// (every blob a file) reads as it did, and (2) when a key has both — a small put over a file-resident key, or a crash
// between a large put's file and its row delete — the row wins, deterministically. A small put leaves such a file in
// place rather than unlinking it: unlinking first would let a crash that loses the (unsynced) row commit lose both
// versions; shadowed, the file is the older version and reappears only together with the rest of the lost WAL suffix.
// Keys are emailIds and content-named segments, so in practice no key is ever written twice. `delete` removes both,
// and `list` merges both sources in key order, reporting a key once (the row's size and time): the GC's mark-and-
// sweep sees every key wherever it lives.
import type { Readable } from 'node:stream';
import type { BlobHead, BlobListEntry, BlobListPage, BlobStore, ByteRange } from './blob.js';
import { StorageError } from './errors.js';
import { checkBlobKey, compareKeys, type FsBlob } from './fs/fs-blob.js';
import { streamOf, type SqliteBlob } from './sqlite/sqlite-blob.js';

const DEFAULT_LIST_LIMIT = 1000;
/**
 * Objects up to this size go to the table: every message of ordinary size (the median mail is a few KB, and a
 * 256 KiB row costs one INSERT of ~64 pages), while index snapshots (MBs) and large attachments stay files.
 */
export const DEFAULT_SMALL_MAX_BYTES = 256 * 1024;

export interface EmbeddedBlobOptions {
  /** Largest object kept in the table (bytes); larger ones are files. */
  smallMaxBytes?: number;
}

export class EmbeddedBlob implements BlobStore {
  private readonly smallMaxBytes: number;

  constructor(
    private readonly table: SqliteBlob,
    private readonly files: FsBlob,
    options: EmbeddedBlobOptions = {},
  ) {
    this.smallMaxBytes = options.smallMaxBytes ?? DEFAULT_SMALL_MAX_BYTES;
  }

  async put(key: string, body: Readable | Uint8Array, length: number): Promise<void> {
    checkBlobKey(key); // the same keys are valid in both places
    if (length <= this.smallMaxBytes) {
      await this.table.put(key, body, length);
      return;
    }
    await this.files.put(key, body, length);
    // Only after the file is durable: until then a row of this key (an older version) stays what readers see.
    this.table.erase(key);
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    checkBlobKey(key);
    const row = this.table.read(key, range);
    if (row !== undefined) return streamOf(row.bytes);
    return this.files.get(key, range);
  }

  /** BlobBytes (src/storage/blob.ts): a row without any stream; a file read whole into one buffer. */
  async getBytes(key: string, range?: ByteRange): Promise<Buffer> {
    checkBlobKey(key);
    return this.table.read(key, range)?.bytes ?? this.files.getBytes(key, range);
  }

  async head(key: string): Promise<BlobHead | undefined> {
    checkBlobKey(key);
    return this.table.stat(key) ?? this.files.head(key);
  }

  async delete(key: string): Promise<void> {
    checkBlobKey(key);
    this.table.erase(key);
    await this.files.delete(key);
  }

  async list(prefix: string, options: { cursor?: string; limit?: number } = {}): Promise<BlobListPage> {
    const limit = options.limit ?? DEFAULT_LIST_LIMIT;
    if (!(limit >= 1)) throw new StorageError('list limit must be at least 1');
    const after = options.cursor === undefined ? undefined : Buffer.from(options.cursor, 'base64url').toString('utf8');
    // Each source gives its first `limit` keys after the cursor; the merged page is the first `limit` of their union.
    const rows = this.table.listRange(prefix, after, limit);
    const files = await this.files.listRange(prefix, after, limit);
    const entries: BlobListEntry[] = [];
    let r = 0;
    let f = 0;
    while (entries.length < limit && (r < rows.entries.length || f < files.entries.length)) {
      const row = rows.entries[r];
      const file = files.entries[f];
      const order = row === undefined ? 1 : file === undefined ? -1 : compareKeys(row.key, file.key);
      if (order <= 0) {
        entries.push(row as BlobListEntry);
        r++;
        if (order === 0) f++; // a shadowed file: the row is what get and head answer
      } else {
        entries.push(file as BlobListEntry);
        f++;
      }
    }
    const more = rows.more || files.more || r < rows.entries.length || f < files.entries.length;
    const last = entries[entries.length - 1];
    return more && last !== undefined ? { entries, cursor: Buffer.from(last.key, 'utf8').toString('base64url') } : { entries };
  }

  async close(): Promise<void> {
    await this.table.close();
    await this.files.close();
  }
}
