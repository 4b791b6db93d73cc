// The Blob port on S3. Bodies stream both ways: a put sends the caller's stream with its Content-Length (the client
// must be built with requestChecksumCalculation 'WHEN_REQUIRED', or the SDK reframes streamed bodies as
// aws-chunked), and a get hands back the response body. A body of the wrong length aborts the upload, so S3 stores
// nothing rather than a truncated object.
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { BlobHead, BlobListPage, BlobStore, ByteRange } from '../blob.js';
import { StorageError } from '../errors.js';
import { LengthGuard } from './length-guard.js';
import { isNotFound, isRangeNotSatisfiable, toBlobError } from './s3-errors.js';

export interface S3BlobOptions {
  client: S3Client;
  bucket: string;
  /** Prepended to every key, e.g. 'stratus/'; list results have it removed again. */
  prefix?: string;
}

const DEFAULT_LIST_LIMIT = 1000;
/** In-memory bodies above this go up in parts (an index snapshot of 1M messages is ~23 MB): each part is retried on
 *  its own, and S3-compatible stores with a request-size limit (the test stand-in takes 11 MiB) still accept them. */
export const MULTIPART_THRESHOLD = 8 * 1024 * 1024;

export class S3Blob implements BlobStore {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;

  constructor(options: S3BlobOptions) {
    this.client = options.client;
    this.bucket = options.bucket;
    this.prefix = options.prefix ?? '';
  }

  private objectKey(key: string): string {
    return this.prefix + key;
  }

  async put(key: string, body: Readable | Uint8Array, length: number): Promise<void> {
    if (body instanceof Uint8Array) {
      if (body.byteLength !== length) throw new StorageError(`put ${key}: body has ${body.byteLength} bytes, not ${length}`);
      if (length > MULTIPART_THRESHOLD) return this.putInParts(key, body);
      try {
        await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key), Body: body, ContentLength: length }));
      } catch (err) {
        throw toBlobError(err, key);
      }
      return;
    }
    // If the caller's stream fails or has the wrong length, abort the request: S3 keeps nothing of an aborted PUT.
    const abort = new AbortController();
    let bodyError: Error | undefined;
    const guarded = body.pipe(new LengthGuard(length));
    const fail = (err: Error): void => {
      bodyError ??= err;
      abort.abort(err);
    };
    body.on('error', (err: Error) => {
      fail(err);
      guarded.destroy(err);
    });
    guarded.on('error', fail);
    try {
      await this.client.send(
        new PutObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key), Body: guarded, ContentLength: length }),
        { abortSignal: abort.signal },
      );
    } catch (err) {
      throw bodyError === undefined ? toBlobError(err, key) : new StorageError(`put ${key}: ${bodyError.message}`);
    } finally {
      if (!body.destroyed) body.destroy();
    }
    if (bodyError !== undefined) throw new StorageError(`put ${key}: ${bodyError.message}`);
  }

  /** One multipart upload; S3 shows the object only on Complete, so a failure leaves nothing (the upload is aborted). */
  private async putInParts(key: string, body: Uint8Array): Promise<void> {
    const Key = this.objectKey(key);
    let uploadId: string | undefined;
    try {
      const created = await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key }));
      uploadId = created.UploadId;
      if (uploadId === undefined) throw new StorageError(`put ${key}: no multipart upload id`);
      const parts: { ETag: string | undefined; PartNumber: number }[] = [];
      for (let at = 0, n = 1; at < body.byteLength; at += MULTIPART_THRESHOLD, n++) {
        const chunk = body.subarray(at, Math.min(at + MULTIPART_THRESHOLD, body.byteLength));
        const out = await this.client.send(
          new UploadPartCommand({ Bucket: this.bucket, Key, UploadId: uploadId, PartNumber: n, Body: chunk, ContentLength: chunk.byteLength }),
        );
        parts.push({ ETag: out.ETag, PartNumber: n });
      }
      await this.client.send(new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId: uploadId, MultipartUpload: { Parts: parts } }));
    } catch (err) {
      if (uploadId !== undefined) {
        await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId: uploadId })).catch(() => undefined);
      }
      throw err instanceof StorageError ? err : toBlobError(err, key);
    }
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    try {
      const out = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: this.objectKey(key),
          Range: range === undefined ? undefined : `bytes=${range.start}-${range.end}`,
        }),
      );
      if (out.Body instanceof Readable) return out.Body;
      throw new StorageError(`get ${key}: response body is not a Node stream`);
    } catch (err) {
      // S3 answers 416 to a range that starts past the end; clamped to the object, that range is empty.
      if (range !== undefined && isRangeNotSatisfiable(err)) return Readable.from([]);
      throw toBlobError(err, key);
    }
  }

  async head(key: string): Promise<BlobHead | undefined> {
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
      return { size: out.ContentLength ?? 0, lastModified: out.LastModified ?? new Date(0) };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw toBlobError(err, key);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
    } catch (err) {
      if (isNotFound(err)) return;
      throw toBlobError(err, key);
    }
  }

  async list(prefix: string, options?: { cursor?: string; limit?: number }): Promise<BlobListPage> {
    try {
      const out = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: this.objectKey(prefix),
          ContinuationToken: options?.cursor,
          MaxKeys: options?.limit ?? DEFAULT_LIST_LIMIT,
        }),
      );
      const page: BlobListPage = {
        entries: (out.Contents ?? []).map((entry) => ({
          key: (entry.Key ?? '').slice(this.prefix.length),
          size: entry.Size ?? 0,
          lastModified: entry.LastModified ?? new Date(0),
        })),
      };
      if (out.IsTruncated === true && out.NextContinuationToken !== undefined) page.cursor = out.NextContinuationToken;
      return page;
    } catch (err) {
      throw toBlobError(err, prefix);
    }
  }

  /** The client belongs to the caller, who may share it; nothing of ours to release. */
  async close(): Promise<void> {}
}
