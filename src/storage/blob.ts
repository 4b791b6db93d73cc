// The Blob port: raw message bytes and snapshots. S3 in AWS, files on a laptop. Bodies are streamed both ways.
import type { Readable } from 'node:stream';

export interface BlobHead {
  size: number;
  lastModified: Date;
}

export interface BlobListEntry extends BlobHead {
  key: string;
}

export interface BlobListPage {
  entries: BlobListEntry[];
  /** Present when more entries may follow. */
  cursor?: string;
}

/** Inclusive byte range, as in HTTP `Range: bytes=start-end`. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface BlobStore {
  /**
   * Store `length` bytes under `key`, replacing any object there. The put is atomic: a reader sees the whole
   * object or none (a failed or short stream leaves nothing behind).
   */
  put(key: string, body: Readable | Uint8Array, length: number): Promise<void>;
  /** Stream the object or a byte range of it (clamped to its size). Throws BlobNotFoundError. */
  get(key: string, range?: ByteRange): Promise<Readable>;
  head(key: string): Promise<BlobHead | undefined>;
  /** Deleting a missing key is not an error. */
  delete(key: string): Promise<void>;
  /** Keys with the prefix in ascending order, a page at a time (at most `limit`, default 1000). */
  list(prefix: string, options?: { cursor?: string; limit?: number }): Promise<BlobListPage>;
  close(): Promise<void>;
}

/**
 * A Blob store that can also hand back an object, or a range of it, as bytes in memory rather than a stream: what a
 * short body read (IMAP FETCH BODY[] of an ordinary message) wants. The wrappers (metered.ts, retrying.ts,
 * faulty.ts) always offer it, using the inner store's own `getBytes` when it has one and reading its stream whole otherwise.
 */
export interface BlobBytes {
  /** Like `get`, as bytes. Throws BlobNotFoundError. */
  getBytes(key: string, range?: ByteRange): Promise<Buffer>;
}

/** A stream read to its end, as one Buffer. */
export async function readWhole(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer | string>) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}
