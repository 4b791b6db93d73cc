// Maps S3 SDK errors onto the port's typed storage errors.
import { BlobNotFoundError, StorageError, ThrottledError, UnavailableError } from '../errors.js';

interface S3ErrorShape {
  name?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: number };
}

function shape(err: unknown): S3ErrorShape {
  return typeof err === 'object' && err !== null ? (err as S3ErrorShape) : {};
}

/** True when S3 says the object is not there (GetObject: NoSuchKey; HEAD has no body, so only a 404). */
export function isNotFound(err: unknown): boolean {
  const e = shape(err);
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404;
}

export function isRangeNotSatisfiable(err: unknown): boolean {
  const e = shape(err);
  return e.name === 'InvalidRange' || e.$metadata?.httpStatusCode === 416;
}

export function toBlobError(err: unknown, key: string): Error {
  if (err instanceof StorageError) return err;
  if (isNotFound(err)) return new BlobNotFoundError(key);
  const e = shape(err);
  const name = typeof e.name === 'string' ? e.name : 'Error';
  const message = typeof e.message === 'string' ? e.message : String(err);
  const status = e.$metadata?.httpStatusCode;
  if (name === 'SlowDown' || name === 'ThrottlingException' || status === 429 || status === 503) {
    return new ThrottledError(`${name}: ${message}`);
  }
  if (status === undefined || status >= 500) return new UnavailableError(`${name}: ${message}`);
  return new StorageError(`${name}: ${message}`);
}
