// The Blob port over a directory: one file per key, '/' in a key is a directory. Puts write a temp file beside
// the target, fsync it and rename it into place, so a reader sees the whole object or none.
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { BlobHead, BlobListEntry, BlobListPage, BlobStore, ByteRange } from '../blob.js';
import { BlobNotFoundError, StorageError, UnavailableError } from '../errors.js';

/** Temp files carry this prefix; keys may not use it, and list skips it. */
const TEMP_PREFIX = '.stratus-tmp-';
const DEFAULT_LIST_LIMIT = 1000;

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

const compareKeys = (a: string, b: string): number => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

export class FsBlob implements BlobStore {
  constructor(private readonly root: string) {}

  private pathOf(key: string): string {
    return join(this.root, ...segmentsOf(key));
  }

  async put(key: string, body: Readable | Uint8Array, length: number): Promise<void> {
    const segments = segmentsOf(key);
    if (!Number.isSafeInteger(length) || length < 0) throw new StorageError(`invalid length ${length}`);
    const dir = join(this.root, ...segments.slice(0, -1));
    const target = join(dir, segments[segments.length - 1] ?? '');
    await mkdir(dir, { recursive: true });
    const temp = join(dir, `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`);
    const file = await open(temp, 'wx');
    let written = 0;
    try {
      const chunks: AsyncIterable<Uint8Array> | Uint8Array[] = body instanceof Uint8Array ? [body] : (body as AsyncIterable<Uint8Array>);
      for await (const chunk of chunks) {
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        written += bytes.byteLength;
        if (written > length) throw new StorageError(`blob ${key}: body is longer than ${length} bytes`);
        await file.write(bytes);
      }
      if (written !== length) throw new StorageError(`blob ${key}: body ended after ${written} of ${length} bytes`);
      await file.sync();
      await file.close();
    } catch (error) {
      await file.close().catch(() => undefined);
      await rm(temp, { force: true });
      if (!(body instanceof Uint8Array)) body.destroy();
      throw error;
    }
    try {
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { force: true });
      throw new UnavailableError(`blob ${key}: ${(error as Error).message}`);
    }
    // The rename is durable once the directory entry is.
    const dirHandle = await open(dir, 'r');
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const path = this.pathOf(key);
    // Open first and size the open file, so a concurrent replace or delete cannot mix two versions.
    let file;
    try {
      file = await open(path, 'r');
    } catch (error) {
      if (isMissing(error) || (error as { code?: string }).code === 'EISDIR') throw new BlobNotFoundError(key);
      throw new UnavailableError(`blob ${key}: ${(error as Error).message}`);
    }
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

  async head(key: string): Promise<BlobHead | undefined> {
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
    try {
      await unlink(this.pathOf(key));
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
  }

  async list(prefix: string, options: { cursor?: string; limit?: number } = {}): Promise<BlobListPage> {
    const limit = options.limit ?? DEFAULT_LIST_LIMIT;
    // Walk only the directory the prefix names; its last partial segment filters that directory's entries.
    const slash = prefix.lastIndexOf('/');
    const dirKey = slash < 0 ? '' : prefix.slice(0, slash);
    const dirSegments = dirKey === '' ? [] : segmentsOf(dirKey);
    const keys: string[] = [];
    await this.walk(join(this.root, ...dirSegments), dirKey === '' ? '' : `${dirKey}/`, prefix, keys);
    keys.sort(compareKeys);
    const after = options.cursor === undefined ? undefined : Buffer.from(options.cursor, 'base64url').toString('utf8');
    const start = after === undefined ? 0 : keys.findIndex((key) => compareKeys(key, after) > 0);
    const chosen = start < 0 ? [] : keys.slice(start, start + limit);
    const entries: BlobListEntry[] = [];
    for (const key of chosen) {
      const head = await this.head(key);
      if (head !== undefined) entries.push({ key, ...head });
    }
    const more = start >= 0 && start + limit < keys.length;
    const last = chosen[chosen.length - 1];
    return more && last !== undefined ? { entries, cursor: Buffer.from(last, 'utf8').toString('base64url') } : { entries };
  }

  async close(): Promise<void> {}

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
