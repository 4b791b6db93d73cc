// Translates the port's Condition / Update / sort-key ASTs into DynamoDB expressions. Every attribute name and
// value goes through a placeholder (#n0, :v0), so no caller string is ever spliced into an expression.
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { Condition, KvValue, SortKeyCondition, Update } from '../kv.js';
import { toAttributeValue } from './attribute-values.js';

const COMPARATORS = { eq: '=', ne: '<>', lt: '<', le: '<=', gt: '>', ge: '>=' } as const;

export interface ExpressionParts {
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, AttributeValue>;
}

/** Collects placeholders for one request; all its expressions share one builder. */
export class ExpressionBuilder {
  private readonly names = new Map<string, string>();
  private readonly values: Record<string, AttributeValue> = {};
  private valueCount = 0;

  name(attr: string): string {
    let placeholder = this.names.get(attr);
    if (placeholder === undefined) {
      placeholder = `#n${this.names.size}`;
      this.names.set(attr, placeholder);
    }
    return placeholder;
  }

  value(value: KvValue): string {
    const placeholder = `:v${this.valueCount}`;
    this.valueCount += 1;
    this.values[placeholder] = toAttributeValue(value);
    return placeholder;
  }

  condition(condition: Condition): string {
    switch (condition.op) {
      case 'exists':
        return `attribute_exists(${this.name(condition.attr)})`;
      case 'notExists':
        return `attribute_not_exists(${this.name(condition.attr)})`;
      case 'ne': {
        // The port says `ne` holds when the attribute is missing; spell it out rather than rely on the emulator.
        const name = this.name(condition.attr);
        return `(attribute_not_exists(${name}) OR ${name} <> ${this.value(condition.value)})`;
      }
      case 'eq':
      case 'lt':
      case 'le':
      case 'gt':
      case 'ge':
        return `${this.name(condition.attr)} ${COMPARATORS[condition.op]} ${this.value(condition.value)}`;
      case 'and':
      case 'or': {
        // DynamoDB has no literals; an empty AND is a tautology and an empty OR a contradiction on `pk`.
        if (condition.conditions.length === 0) {
          const pk = this.name('pk');
          return condition.op === 'and'
            ? `(attribute_exists(${pk}) OR attribute_not_exists(${pk}))`
            : `(attribute_exists(${pk}) AND attribute_not_exists(${pk}))`;
        }
        const joiner = condition.op === 'and' ? ' AND ' : ' OR ';
        return `(${condition.conditions.map((c) => this.condition(c)).join(joiner)})`;
      }
      case 'not':
        return `(NOT ${this.condition(condition.condition)})`;
    }
  }

  /** The UpdateExpression, or undefined when the update changes nothing. */
  update(update: Update): string | undefined {
    const clauses: string[] = [];
    const sets = Object.entries(update.set ?? {}).filter(([, v]) => v !== undefined);
    if (sets.length > 0) clauses.push(`SET ${sets.map(([a, v]) => `${this.name(a)} = ${this.value(v)}`).join(', ')}`);
    const adds = Object.entries(update.add ?? {});
    // ADD treats a missing attribute as 0, exactly the port's rule.
    if (adds.length > 0) clauses.push(`ADD ${adds.map(([a, n]) => `${this.name(a)} ${this.value(n)}`).join(', ')}`);
    const removes = update.remove ?? [];
    if (removes.length > 0) clauses.push(`REMOVE ${removes.map((a) => this.name(a)).join(', ')}`);
    return clauses.length > 0 ? clauses.join(' ') : undefined;
  }

  keyCondition(pk: string, sk: SortKeyCondition | undefined): string {
    const pkPart = `${this.name('pk')} = ${this.value(pk)}`;
    if (sk === undefined) return pkPart;
    const skName = this.name('sk');
    let skPart: string;
    if ('beginsWith' in sk) skPart = `begins_with(${skName}, ${this.value(sk.beginsWith)})`;
    else if ('between' in sk) skPart = `${skName} BETWEEN ${this.value(sk.between[0])} AND ${this.value(sk.between[1])}`;
    else if ('gt' in sk) skPart = `${skName} > ${this.value(sk.gt)}`;
    else if ('ge' in sk) skPart = `${skName} >= ${this.value(sk.ge)}`;
    else if ('lt' in sk) skPart = `${skName} < ${this.value(sk.lt)}`;
    else skPart = `${skName} <= ${this.value(sk.le)}`;
    return `${pkPart} AND ${skPart}`;
  }

  /** Names and values for the request, omitted when empty (DynamoDB rejects empty maps). */
  parts(): ExpressionParts {
    const parts: ExpressionParts = {};
    if (this.names.size > 0) parts.ExpressionAttributeNames = Object.fromEntries([...this.names].map(([a, p]) => [p, a]));
    if (this.valueCount > 0) parts.ExpressionAttributeValues = this.values;
    return parts;
  }
}
