// Evaluates the Condition AST against the stored item with DynamoDB's rules: a comparison with a missing
// attribute or a value of another type is false, except `ne`; strings compare by their UTF-8 bytes.
import type { Condition, KvItem, KvValue } from '../kv.js';

type Scalar = string | number | boolean;

/** Negative, zero or positive; undefined when the two cannot be ordered (missing, or different types). */
function order(actual: KvValue | undefined, expected: Scalar): number | undefined {
  if (typeof actual === 'number' && typeof expected === 'number') return actual - expected;
  if (typeof actual === 'string' && typeof expected === 'string') {
    return Buffer.compare(Buffer.from(actual, 'utf8'), Buffer.from(expected, 'utf8'));
  }
  return undefined;
}

function equals(actual: KvValue | undefined, expected: Scalar): boolean {
  return (typeof actual === 'string' || typeof actual === 'number' || typeof actual === 'boolean') && actual === expected;
}

export function conditionHolds(condition: Condition, item: KvItem | undefined): boolean {
  const attr = (name: string): KvValue | undefined => (item !== undefined && Object.hasOwn(item, name) ? item[name] : undefined);
  switch (condition.op) {
    case 'exists':
      return attr(condition.attr) !== undefined;
    case 'notExists':
      return attr(condition.attr) === undefined;
    case 'eq':
      return equals(attr(condition.attr), condition.value);
    case 'ne':
      return !equals(attr(condition.attr), condition.value);
    case 'lt':
    case 'le':
    case 'gt':
    case 'ge': {
      const o = order(attr(condition.attr), condition.value);
      if (o === undefined) return false;
      if (condition.op === 'lt') return o < 0;
      if (condition.op === 'le') return o <= 0;
      if (condition.op === 'gt') return o > 0;
      return o >= 0;
    }
    case 'and':
      return condition.conditions.every((c) => conditionHolds(c, item));
    case 'or':
      return condition.conditions.some((c) => conditionHolds(c, item));
    case 'not':
      return !conditionHolds(condition.condition, item);
  }
}
