// Typed storage errors, the same from every adapter. The mail store maps them to outcomes; protocols never see them.
import type { KvItem } from './kv.js';

export class StorageError extends Error {
  override name = 'StorageError';
}

/**
 * A condition did not hold. For a transaction, `actionIndex` names the first action whose condition failed and
 * `current` is that item as stored (DynamoDB ReturnValuesOnConditionCheckFailure=ALL_OLD), if it exists.
 */
export class ConditionFailedError extends StorageError {
  override name = 'ConditionFailedError';
  constructor(
    readonly actionIndex: number,
    readonly current?: KvItem,
  ) {
    super(`condition failed on action ${actionIndex}`);
  }
}

/** Another transaction touched the same item at the same time; retry with backoff. */
export class TransactionConflictError extends StorageError {
  override name = 'TransactionConflictError';
}

/** The backend asked us to slow down; retry with backoff. */
export class ThrottledError extends StorageError {
  override name = 'ThrottledError';
}

/** A request broke one of DynamoDB's limits (item size, actions per transaction, …); a bug in the caller. */
export class LimitExceededError extends StorageError {
  override name = 'LimitExceededError';
}

export class BlobNotFoundError extends StorageError {
  override name = 'BlobNotFoundError';
  constructor(readonly key: string) {
    super(`no blob at ${key}`);
  }
}

/** An I/O or service failure that is not one of the above (timeouts, 5xx). */
export class UnavailableError extends StorageError {
  override name = 'UnavailableError';
}
