// Maps DynamoDB service errors onto the port's typed storage errors, so callers never see SDK classes.
import type { CancellationReason } from '@aws-sdk/client-dynamodb';
import {
  ConditionFailedError,
  LimitExceededError,
  StorageError,
  ThrottledError,
  TransactionConflictError,
  UnavailableError,
} from '../errors.js';
import { fromAttributeMap } from './attribute-values.js';

const THROTTLING = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'ThrottlingError',
  'ProvisionedThroughputExceeded',
]);

/** Validation messages that mean "a DynamoDB limit was broken" rather than "the request is malformed". */
const LIMIT_MESSAGE = /size|exceed|too (large|long|many)|limit|length less than or equal|multiple operations on one item/i;

interface ServiceErrorShape {
  name?: unknown;
  message?: unknown;
  Item?: unknown;
  CancellationReasons?: unknown;
  $metadata?: { httpStatusCode?: number };
}

function shape(err: unknown): ServiceErrorShape {
  return typeof err === 'object' && err !== null ? (err as ServiceErrorShape) : {};
}

function conditionFailed(index: number, item: unknown): ConditionFailedError {
  const current = typeof item === 'object' && item !== null ? fromAttributeMap(item as Parameters<typeof fromAttributeMap>[0]) : undefined;
  return new ConditionFailedError(index, current);
}

function fromCancellation(reasons: CancellationReason[], message: string): StorageError {
  const failed = reasons.findIndex((r) => r.Code === 'ConditionalCheckFailed');
  if (failed >= 0) return conditionFailed(failed, reasons[failed]?.Item);
  const codes = reasons.map((r) => r.Code ?? 'None');
  if (codes.includes('TransactionConflict')) return new TransactionConflictError(message);
  if (codes.some((c) => THROTTLING.has(c))) return new ThrottledError(message);
  if (codes.includes('ItemCollectionSizeLimitExceeded')) return new LimitExceededError(message);
  const validation = reasons.find((r) => r.Code === 'ValidationError');
  if (validation !== undefined) {
    const detail = validation.Message ?? message;
    return LIMIT_MESSAGE.test(detail) ? new LimitExceededError(detail) : new StorageError(detail);
  }
  return new StorageError(`${message} [${codes.join(', ')}]`);
}

/** The port's error for an SDK error; errors that are already ours pass through. */
export function toStorageError(err: unknown): Error {
  if (err instanceof StorageError) return err;
  const e = shape(err);
  const name = typeof e.name === 'string' ? e.name : '';
  const message = typeof e.message === 'string' ? e.message : String(err);
  if (name === 'ConditionalCheckFailedException') return conditionFailed(0, e.Item);
  if (name === 'TransactionCanceledException' && Array.isArray(e.CancellationReasons)) {
    return fromCancellation(e.CancellationReasons as CancellationReason[], message);
  }
  // The same client token is still being processed: the caller should back off and retry, as for a conflict.
  if (name === 'TransactionConflictException' || name === 'TransactionInProgressException') {
    return new TransactionConflictError(message);
  }
  if (THROTTLING.has(name)) return new ThrottledError(message);
  if (name === 'ItemCollectionSizeLimitExceededException') return new LimitExceededError(message);
  if (name === 'ValidationException') {
    return LIMIT_MESSAGE.test(message) ? new LimitExceededError(message) : new StorageError(message);
  }
  const status = e.$metadata?.httpStatusCode;
  if (status === undefined || status >= 500) return new UnavailableError(`${name || 'error'}: ${message}`);
  return new StorageError(`${name}: ${message}`);
}
