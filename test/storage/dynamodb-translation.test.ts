// The DynamoDB adapter's pure parts: expression placeholders, error mapping for cancellation reasons that DynamoDB
// Local cannot be made to produce on demand (conflicts, throttling), and cursors. The behaviour against a real
// DynamoDB is covered by the conformance suite in aws.test.ts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ConditionalCheckFailedException,
  ProvisionedThroughputExceededException,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import { ExpressionBuilder } from '../../src/storage/dynamodb/expressions.js';
import { toStorageError } from '../../src/storage/dynamodb/error-mapping.js';
import { decodeCursor, encodeCursor } from '../../src/storage/dynamodb/cursor.js';
import {
  ConditionFailedError,
  LimitExceededError,
  StorageError,
  ThrottledError,
  TransactionConflictError,
  UnavailableError,
} from '../../src/storage/errors.js';

const metadata = { $metadata: { httpStatusCode: 400 } };

function cancelled(codes: { Code: string; Item?: Record<string, { S: string }>; Message?: string }[]) {
  return new TransactionCanceledException({ message: 'Transaction cancelled', ...metadata, CancellationReasons: codes });
}

describe('ExpressionBuilder', () => {
  it('puts every attribute name and value behind a placeholder', () => {
    const b = new ExpressionBuilder();
    const hostile = 'a) OR attribute_exists(b';
    const expression = b.condition({
      op: 'and',
      conditions: [
        { op: 'eq', attr: hostile, value: 'x' },
        { op: 'not', condition: { op: 'exists', attr: 'n' } },
        { op: 'ne', attr: hostile, value: 3 },
      ],
    });
    assert.equal(expression, '(#n0 = :v0 AND (NOT attribute_exists(#n1)) AND (attribute_not_exists(#n0) OR #n0 <> :v1))');
    assert.deepEqual(b.parts(), {
      ExpressionAttributeNames: { '#n0': hostile, '#n1': 'n' },
      ExpressionAttributeValues: { ':v0': { S: 'x' }, ':v1': { N: '3' } },
    });
  });

  it('builds SET, ADD and REMOVE clauses, and nothing for an empty update', () => {
    const b = new ExpressionBuilder();
    assert.equal(b.update({ set: { s: '', l: [] }, add: { n: -1 }, remove: ['r'] }), 'SET #n0 = :v0, #n1 = :v1 ADD #n2 :v2 REMOVE #n3');
    assert.deepEqual(b.parts().ExpressionAttributeValues, { ':v0': { S: '' }, ':v1': { L: [] }, ':v2': { N: '-1' } });
    assert.equal(new ExpressionBuilder().update({}), undefined);
    assert.deepEqual(new ExpressionBuilder().parts(), {});
  });

  it('builds key conditions for each sort-key form', () => {
    const cases: [Parameters<ExpressionBuilder['keyCondition']>[1], string][] = [
      [undefined, '#n0 = :v0'],
      [{ beginsWith: 'L#' }, '#n0 = :v0 AND begins_with(#n1, :v1)'],
      [{ between: ['a', 'b'] }, '#n0 = :v0 AND #n1 BETWEEN :v1 AND :v2'],
      [{ gt: 'a' }, '#n0 = :v0 AND #n1 > :v1'],
      [{ ge: 'a' }, '#n0 = :v0 AND #n1 >= :v1'],
      [{ lt: 'a' }, '#n0 = :v0 AND #n1 < :v1'],
      [{ le: 'a' }, '#n0 = :v0 AND #n1 <= :v1'],
    ];
    for (const [sk, expected] of cases) assert.equal(new ExpressionBuilder().keyCondition('M#1', sk), expected);
  });
});

describe('toStorageError', () => {
  it('names the first action whose condition failed, with its item', () => {
    const err = toStorageError(
      cancelled([{ Code: 'None' }, { Code: 'ConditionalCheckFailed', Item: { pk: { S: 'p' }, sk: { S: 's' } } }, { Code: 'ConditionalCheckFailed' }]),
    );
    assert.ok(err instanceof ConditionFailedError);
    assert.equal(err.actionIndex, 1);
    assert.deepEqual(err.current, { pk: 'p', sk: 's' });
  });

  it('maps a conflict, throttling and a size error among the reasons', () => {
    assert.ok(toStorageError(cancelled([{ Code: 'None' }, { Code: 'TransactionConflict' }])) instanceof TransactionConflictError);
    assert.ok(toStorageError(cancelled([{ Code: 'ThrottlingError' }])) instanceof ThrottledError);
    const size = cancelled([{ Code: 'ValidationError', Message: 'Item size has exceeded the maximum allowed size' }]);
    assert.ok(toStorageError(size) instanceof LimitExceededError);
  });

  it('maps single-write condition failures, throttling and transport failures', () => {
    const failed = new ConditionalCheckFailedException({ message: 'failed', ...metadata, Item: { pk: { S: 'p' }, sk: { S: 's' } } });
    const mapped = toStorageError(failed);
    assert.ok(mapped instanceof ConditionFailedError);
    assert.equal(mapped.actionIndex, 0);
    assert.deepEqual(mapped.current, { pk: 'p', sk: 's' });
    assert.ok(toStorageError(new ProvisionedThroughputExceededException({ message: 'slow down', ...metadata })) instanceof ThrottledError);
    assert.ok(toStorageError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })) instanceof UnavailableError);
    const own = new StorageError('ours');
    assert.equal(toStorageError(own), own);
  });
});

describe('query cursors', () => {
  it('round-trip the last key and refuse a cursor from another partition', () => {
    const cursor = encodeCursor({ pk: { S: 'M#1' }, sk: { S: 'U#0000000042' } });
    assert.ok(cursor !== undefined);
    assert.deepEqual(decodeCursor(cursor, 'M#1'), { pk: { S: 'M#1' }, sk: { S: 'U#0000000042' } });
    assert.throws(() => decodeCursor(cursor, 'M#2'), StorageError);
    assert.throws(() => decodeCursor('not a cursor', 'M#1'), StorageError);
    assert.equal(encodeCursor(undefined), undefined);
  });
});
