// The Blob port over a directory: one file per key, '/' in a key is a directory. Puts write a temp file beside
// the target and rename it into place, so a reader sees the whole object or none; then the file's data and the
// directory entry are made durable, both at once (see `put`), before the put returns.
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { BlobHead, BlobListEntry, BlobListPage, BlobStore, ByteRange } from '../blob.js';
import { BlobNotFoundError, StorageError, UnavailableError } from '../errors.js';

/** Temp files carry this prefix; keys may not use it, and list skips it. */
const TEMP_PREFIX = '.stratus-tmp-';
const DEFAULT_LIST_LIMIT = 1000;
/** A streamed body is gathered up to this many bytes per write (one write for most messages). */
const WRITE_BYTES = 256 * 1024;

const isMissing = (error: unknown): boolean =>
  error instanceof Error && 'code' in error && (error.code === 'ENOENT' || error.code === 'ENOTDIR');

/** The key's path segments; rejects keys that could escape the root or collide with temp files. */
function segmentsOf(key: string): string[] {
  if (typeof key !== 'string' || key === '' || key.startsWith('/') || key.includes('\\') || key.includes('\0')) {
    throw new StorageError(`invalid blob key ${JSON.stringify(key)}`);
  }
  const segments = key.split('/');
  for (const segment of segments) {
    if (segment === '' || segment === '.' || segment === '..' || segment.startsWith(TEMP_PREFIX)) {
      throw new StorageError(`invalid blob key ${JSON.stringify(key)}`);
    }
  }
  return segments;
}

/** Throws StorageError for a key no file could have (one that could escape the root or collide with temp files). */
export function checkBlobKey(key: string): void {
  segmentsOf(key);
}

/** The port's key order: ascending UTF-8 bytes (JS string order differs for characters beyond U+FFFF). */
export const compareKeys = (a: string, b: string): number => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

/** Opens a new temp file; the directory is made only when it is missing (once per directory, not per put). */
async function openCreating(dir: string, path: string): Promise<FileHandle> {
  try {
    return await open(path, 'wx');
  } catch (error) {
    if (!isMissing(error)) throw error;
  }
  await mkdir(dir, { recursive: true });
  return open(path, 'wx');
}

/** Writes `buffers` (`total` bytes) at the file's position, in as few calls as the OS allows. */
async function writeAll(file: FileHandle, buffers: Uint8Array[], total: number): Promise<void> {
  if (total === 0) return;
  const { bytesWritten } = await file.writev(buffers);
  if (bytesWritten < total) await file.write(Buffer.concat(buffers.map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength))).subarray(bytesWritten));
}

/** Makes a directory's entries durable (a renamed-in file's name). */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

export interface FsBlobOptions {
  /**
   * Keep the bytes of objects this process just wrote, up to this many bytes in all (0: off), and answer `get` and
   * `head` of them from memory: APPEND reads a message back right after its put, to index it (src/mailstore/
   * messages.ts). Only objects of at most `recentMaxObjectBytes` are kept, each for at most `recentTtlMs`, and a
   * put or delete of the key through this store replaces or drops it. Meant for immutable, uniquely named keys
   * (messages, snapshots, segments): another process deleting the file is noticed only when the entry expires.
   */
  recentBytes?: number;
  recentMaxObjectBytes?: number;
  recentTtlMs?: number;
}

interface RecentObject {
  bytes: Buffer;
  at: number;
}

export class FsBlob implements BlobStore {
  private readonly recent = new Map<string, RecentObject>();
  private recentTotal = 0;
  private readonly recentBytes: number;
  private readonly recentMaxObjectBytes: number;
  private readonly recentTtlMs: number;

  constructor(
    private readonly root: string,
    options: FsBlobOptions = {},
  ) {
    this.recentBytes = options.recentBytes ?? 0;
    this.recentMaxObjectBytes = Math.min(options.recentMaxObjectBytes ?? 1024 * 1024, this.recentBytes);
    this.recentTtlMs = options.recentTtlMs ?? 60_000;
  }

  private pathOf(key: string): string {
    return join(this.root, ...segmentsOf(key));
  }

  /**
   * Durability (the same class as Dovecot's `mail_fsync = optimized`, which fsyncs a new mail file and then its
   * directory): once put returns, the bytes and the name survive a power loss. The data and the directory entry are
   * synced concurrently after the rename, so the file system commits both in one journal transaction instead of two
   * in a row; a crash before both syncs end may leave a partial file under the key, but put has not returned then,
   * so no commit names it and the GC sweep removes it. Readers never see a partial file: the rename follows the
   * last write.
   */
  async put(key: string, body: Readable | Uint8Array, length: number): Promise<void> {
    const segments = segmentsOf(key);
    if (!Number.isSafeInteger(length) || length < 0) throw new StorageError(`invalid length ${length}`);
    const dir = join(this.root, ...segments.slice(0, -1));
    const target = join(dir, segments[segments.length - 1] ?? '');
    const temp = join(dir, `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`);
    this.forget(key);
    const keep = length <= this.recentMaxObjectBytes;
    const kept: Uint8Array[] = [];
    const file = await openCreating(dir, temp);
    let written = 0;
    let renamed = false;
    try {
      const chunks: AsyncIterable<Uint8Array> | Uint8Array[] = body instanceof Uint8Array ? [body] : (body as AsyncIterable<Uint8Array>);
      let pending: Uint8Array[] = [];
      let pendingBytes = 0;
      for await (const chunk of chunks) {
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        written += bytes.byteLength;
        if (written > length) throw new StorageError(`blob ${key}: body is longer than ${length} bytes`);
        pending.push(bytes);
        pendingBytes += bytes.byteLength;
        if (keep) kept.push(bytes);
        if (pendingBytes >= WRITE_BYTES) {
          await writeAll(file, pending, pendingBytes);
          pending = [];
          pendingBytes = 0;
        }
      }
      if (written !== length) throw new StorageError(`blob ${key}: body ended after ${written} of ${length} bytes`);
      await writeAll(file, pending, pendingBytes);
      try {
        await rename(temp, target);
        renamed = true;
      } catch (error) {
        throw new UnavailableError(`blob ${key}: ${(error as Error).message}`);
      }
      await Promise.all([file.datasync(), syncDirectory(dir)]);
      await file.close();
    } catch (error) {
      await file.close().catch(() => undefined);
      if (!renamed) await rm(temp, { force: true });
      if (!(body instanceof Uint8Array)) body.destroy();
      throw error;
    }
    if (keep && this.recentBytes > 0) this.remember(key, Buffer.concat(kept, length));
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const path = this.pathOf(key);
    const recent = this.recalled(key);
    if (recent) {
      if (range === undefined) return Readable.from([recent.bytes]);
      const end = Math.min(range.end, recent.bytes.length - 1);
      return Readable.from(range.start > end ? [] : [recent.bytes.subarray(range.start, end + 1)]);
    }
    // Open first and size the open file, so a concurrent replace or delete cannot mix two versions.
    const file = await openForRead(path, key);
    const info = await file.stat();
    if (!info.isFile()) {
      await file.close();
      throw new BlobNotFoundError(key);
    }
    if (range === undefined) return createReadStream('', { fd: file, autoClose: true });
    const end = Math.min(range.end, info.size - 1);
    if (range.start > end) {
      await file.close();
      return Readable.from([]);
    }
    return createReadStream('', { fd: file, start: range.start, end, autoClose: true });
  }

  /** BlobBytes (src/storage/blob.ts): the file (or the range of it) read into one buffer with positioned reads, no stream. */
  async getBytes(key: string, range?: ByteRange): Promise<Buffer> {
    const path = this.pathOf(key);
    const recent = this.recalled(key);
    if (recent) {
      if (range === undefined) return recent.bytes;
      return recent.bytes.subarray(Math.min(range.start, recent.bytes.length), Math.min(range.end + 1, recent.bytes.length));
    }
    const file = await openForRead(path, key);
    try {
      const info = await file.stat();
      if (!info.isFile()) throw new BlobNotFoundError(key);
      const start = range === undefined ? 0 : range.start;
      const end = Math.min(range === undefined ? info.size - 1 : range.end, info.size - 1);
      if (start > end) return Buffer.alloc(0);
      const bytes = Buffer.allocUnsafe(end - start + 1);
      let at = 0;
      while (at < bytes.length) {
        const { bytesRead } = await file.read(bytes, at, bytes.length - at, start + at);
        if (bytesRead === 0) break; // truncated under us (a put never truncates: it renames a new file in)
        at += bytesRead;
      }
      return at === bytes.length ? bytes : bytes.subarray(0, at);
    } finally {
      await file.close();
    }
  }

  async head(key: string): Promise<BlobHead | undefined> {
    const recent = this.recalled(key);
    if (recent) return { size: recent.bytes.length, lastModified: new Date(recent.at) };
    let info: Stats;
    try {
      info = await stat(this.pathOf(key));
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
    return info.isFile() ? { size: info.size, lastModified: info.mtime } : undefined;
  }

  async delete(key: string): Promise<void> {
    this.forget(key);
    try {
      await unlink(this.pathOf(key));
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
  }

  async list(prefix: string, options: { cursor?: string; limit?: number } = {}): Promise<BlobListPage> {
    const limit = options.limit ?? DEFAULT_LIST_LIMIT;
    const after = options.cursor === undefined ? undefined : Buffer.from(options.cursor, 'base64url').toString('utf8');
    const { entries, more } = await this.listRange(prefix, after, limit);
    const last = entries[entries.length - 1];
    return more && last !== undefined ? { entries, cursor: Buffer.from(last.key, 'utf8').toString('base64url') } : { entries };
  }

  /** Up to `limit` entries with the prefix and a key after `after` (when given), ascending, and whether more follow. */
  async listRange(prefix: string, after: string | undefined, limit: number): Promise<{ entries: BlobListEntry[]; more: boolean }> {
    // Walk only the directory the prefix names; its last partial segment filters that directory's entries.
    const slash = prefix.lastIndexOf('/');
    const dirKey = slash < 0 ? '' : prefix.slice(0, slash);
    const dirSegments = dirKey === '' ? [] : segmentsOf(dirKey);
    const keys: string[] = [];
    await this.walk(join(this.root, ...dirSegments), dirKey === '' ? '' : `${dirKey}/`, prefix, keys);
    keys.sort(compareKeys);
    const start = after === undefined ? 0 : keys.findIndex((key) => compareKeys(key, after) > 0);
    const chosen = start < 0 ? [] : keys.slice(start, start + limit);
    const entries: BlobListEntry[] = [];
    for (const key of chosen) {
      const head = await this.head(key);
      if (head !== undefined) entries.push({ key, ...head });
    }
    return { entries, more: start >= 0 && start + limit < keys.length };
  }

  async close(): Promise<void> {
    this.recent.clear();
    this.recentTotal = 0;
  }

  private remember(key: string, bytes: Buffer): void {
    this.recent.set(key, { bytes, at: Date.now() });
    this.recentTotal += bytes.length;
    // Oldest first (Map order is insertion order).
    for (const [oldKey, old] of this.recent) {
      if (this.recentTotal <= this.recentBytes) break;
      this.recent.delete(oldKey);
      this.recentTotal -= old.bytes.length;
    }
  }

  private recalled(key: string): RecentObject | undefined {
    const found = this.recent.get(key);
    if (found && Date.now() - found.at > this.recentTtlMs) {
      this.forget(key);
      return undefined;
    }
    return found;
  }

  private forget(key: string): void {
    const found = this.recent.get(key);
    if (!found) return;
    this.recent.delete(key);
    this.recentTotal -= found.bytes.length;
  }

  /** Collects the keys of files under `dir` (whose key prefix is `dirKey`) that start with `prefix`. */
  private async walk(dir: string, dirKey: string, prefix: string, out: string[]): Promise<void> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if (isMissing(error)) return;
      throw error;
    }
    for (const entry of entries) {
      if (entry.name.startsWith(TEMP_PREFIX)) continue;
      const key = dirKey + entry.name;
      if (entry.isDirectory()) {
        const asDir = `${key}/`;
        if (asDir.startsWith(prefix) || prefix.startsWith(asDir)) await this.walk(join(dir, entry.name), asDir, prefix, out);
      } else if (entry.isFile() && key.startsWith(prefix)) {
        out.push(key);
      }
    }
  }
}

/** The blob's file opened for reading; BlobNotFoundError when there is none (or a directory stands there). */
async function openForRead(path: string, key: string): Promise<FileHandle> {
  try {
    return await open(path, 'r');
  } catch (error) {
    if (isMissing(error) || (error as { code?: string }).code === 'EISDIR') throw new BlobNotFoundError(key);
    throw new UnavailableError(`blob ${key}: ${(error as Error).message}`);
  }
}
