// Sort-key conditions and cursors as SQL. SQLite's BINARY collation compares TEXT by its UTF-8 bytes, which is
// DynamoDB's order, so range bounds can be bound as plain strings.
import type { SortKeyCondition } from '../kv.js';
import { StorageError } from '../errors.js';

export interface SqlFragment {
  sql: string;
  params: string[];
}

/**
 * The smallest string greater than every string that starts with `prefix`: the last code point plus one.
 * Code point order equals UTF-8 byte order, so `sk >= prefix AND sk < upper` is exactly "begins with".
 */
export function prefixUpperBound(prefix: string): string | undefined {
  const points = Array.from(prefix);
  while (points.length > 0) {
    const last = points.pop() ?? '';
    let next = (last.codePointAt(0) ?? 0) + 1;
    if (next === 0xd800) next = 0xe000; // skip the surrogate range: not valid scalar values
    if (next <= 0x10ffff) return points.join('') + String.fromCodePoint(next);
  }
  return undefined;
}

export function sortKeySql(condition: SortKeyCondition | undefined): SqlFragment {
  if (condition === undefined) return { sql: '', params: [] };
  if ('beginsWith' in condition) {
    if (condition.beginsWith === '') return { sql: '', params: [] };
    const upper = prefixUpperBound(condition.beginsWith);
    return upper === undefined
      ? { sql: ' AND sk >= ?', params: [condition.beginsWith] }
      : { sql: ' AND sk >= ? AND sk < ?', params: [condition.beginsWith, upper] };
  }
  if ('between' in condition) return { sql: ' AND sk >= ? AND sk <= ?', params: [condition.between[0], condition.between[1]] };
  if ('gt' in condition) return { sql: ' AND sk > ?', params: [condition.gt] };
  if ('ge' in condition) return { sql: ' AND sk >= ?', params: [condition.ge] };
  if ('lt' in condition) return { sql: ' AND sk < ?', params: [condition.lt] };
  return { sql: ' AND sk <= ?', params: [condition.le] };
}

/** The cursor is the last sort key returned, opaque to callers. */
export function encodeCursor(pk: string, sk: string): string {
  return Buffer.from(JSON.stringify({ pk, sk }), 'utf8').toString('base64url');
}

export function decodeCursor(pk: string, cursor: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new StorageError('malformed query cursor');
  }
  if (typeof parsed !== 'object' || parsed === null || !('pk' in parsed) || !('sk' in parsed)) throw new StorageError('malformed query cursor');
  if (parsed.pk !== pk || typeof parsed.sk !== 'string') throw new StorageError('query cursor belongs to another query');
  return parsed.sk;
}
