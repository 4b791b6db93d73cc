// Query cursors: DynamoDB's LastEvaluatedKey (pk and sk only, no index) as opaque base64url JSON.
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { StorageError } from '../errors.js';

export function encodeCursor(lastKey: Record<string, AttributeValue> | undefined): string | undefined {
  if (lastKey === undefined) return undefined;
  const pk = lastKey.pk?.S;
  const sk = lastKey.sk?.S;
  if (pk === undefined || sk === undefined) throw new StorageError('LastEvaluatedKey without string pk and sk');
  return Buffer.from(JSON.stringify([pk, sk]), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, pk: string): Record<string, AttributeValue> {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new StorageError('invalid query cursor');
  }
  if (!Array.isArray(decoded) || decoded.length !== 2 || decoded[0] !== pk || typeof decoded[1] !== 'string') {
    throw new StorageError('invalid query cursor (not from a query on this partition)');
  }
  return { pk: { S: pk }, sk: { S: decoded[1] } };
}
