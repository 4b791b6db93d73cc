// Applies the Update AST the way DynamoDB's UpdateItem does: a missing item is created from its key (upsert),
// `add` counts a missing attribute from 0, and the key attributes cannot be touched.
import type { KvItem, KvKey, Update } from '../kv.js';
import { LimitExceededError } from '../errors.js';

const KEY_ATTRIBUTES = new Set(['pk', 'sk']);

/** Rejects what DynamoDB rejects before reading anything: key attributes, or one attribute in two clauses. */
export function validateUpdate(update: Update): void {
  const seen = new Set<string>();
  const names = [...Object.keys(update.set ?? {}), ...Object.keys(update.add ?? {}), ...(update.remove ?? [])];
  for (const name of names) {
    if (KEY_ATTRIBUTES.has(name)) throw new LimitExceededError(`an update cannot change the key attribute ${name}`);
    if (seen.has(name)) throw new LimitExceededError(`attribute ${name} appears twice in one update`);
    seen.add(name);
  }
  for (const [name, value] of Object.entries(update.add ?? {})) {
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new LimitExceededError(`add ${name}: not a finite number`);
  }
}

/** The item after the update. Does not modify `current`. */
export function applyUpdate(key: KvKey, current: KvItem | undefined, update: Update): KvItem {
  const next: KvItem = current === undefined ? { pk: key.pk, sk: key.sk } : { ...current };
  for (const [name, value] of Object.entries(update.set ?? {})) {
    if (value !== undefined) next[name] = value;
  }
  for (const [name, delta] of Object.entries(update.add ?? {})) {
    const before = next[name] ?? 0;
    if (typeof before !== 'number') throw new LimitExceededError(`add ${name}: the stored attribute is not a number`);
    next[name] = before + delta;
  }
  for (const name of update.remove ?? []) delete next[name];
  return next;
}
