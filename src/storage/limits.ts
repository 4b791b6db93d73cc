// DynamoDB's request limits, checked by every adapter before a request is carried out or sent: the embedded backend
// refuses what AWS refuses, and DynamoDB Local (lax about some of them) cannot hide a violation.
import { KV_LIMITS } from './kv.js';
import type { KvItem, KvKey, KvValue, TableName, TxAction, Update } from './kv.js';
import { LimitExceededError } from './errors.js';
import { dynamoItemSize, dynamoValueSize } from './item-size.js';

const TABLES: ReadonlySet<string> = new Set<TableName>(['mail', 'msgmeta']);

export function checkTable(table: string): void {
  if (!TABLES.has(table)) throw new LimitExceededError(`unknown table ${table}`);
}

export function checkKey(key: KvKey): void {
  if (typeof key.pk !== 'string' || key.pk === '' || typeof key.sk !== 'string' || key.sk === '') {
    throw new LimitExceededError('pk and sk must be non-empty strings');
  }
}

/** Returns the item's DynamoDB size, or throws when it is over 400 KB. */
export function checkItemSize(item: KvItem): number {
  const size = dynamoItemSize(item);
  if (size > KV_LIMITS.maxItemBytes) throw new LimitExceededError(`item ${item.pk}/${item.sk} is ${size} bytes, over 400 KB`);
  return size;
}

/** What an update writes at least: its key and new values. The item it produces can only be checked by DynamoDB. */
export function checkUpdateSize(key: KvKey, update: Update): number {
  const written: { [name: string]: KvValue } = { pk: key.pk, sk: key.sk };
  for (const [name, value] of Object.entries(update.set ?? {})) if (value !== undefined) written[name] = value;
  for (const [name, value] of Object.entries(update.add ?? {})) written[name] = value;
  const size = dynamoItemSize(written);
  if (size > KV_LIMITS.maxItemBytes) {
    throw new LimitExceededError(`update of ${key.pk}/${key.sk} writes ${size} bytes, over ${KV_LIMITS.maxItemBytes}`);
  }
  return size;
}

export function checkBatchGet(keys: KvKey[]): void {
  if (keys.length > KV_LIMITS.maxBatchGetKeys) throw new LimitExceededError(`batchGet of ${keys.length} keys, over 100`);
  const seen = new Set<string>();
  for (const key of keys) {
    checkKey(key);
    const id = `${key.pk}\u0000${key.sk}`;
    if (seen.has(id)) throw new LimitExceededError(`batchGet names ${key.pk}/${key.sk} twice`);
    seen.add(id);
  }
}

function keyOf(action: TxAction): KvKey {
  return action.type === 'put' ? action.item : action.key;
}

/** The bytes an action adds to the 4 MB transaction budget: the item written, or the key and the values set. */
function actionSize(action: TxAction): number {
  if (action.type === 'put') return dynamoItemSize(action.item);
  let size = dynamoItemSize({ pk: action.key.pk, sk: action.key.sk });
  if (action.type === 'update') {
    for (const [name, value] of Object.entries(action.update.set ?? {})) size += Buffer.byteLength(name) + dynamoValueSize(value);
    for (const [name, value] of Object.entries(action.update.add ?? {})) size += Buffer.byteLength(name) + dynamoValueSize(value);
  }
  return size;
}

export function checkTransaction(actions: TxAction[]): void {
  if (actions.length === 0) throw new LimitExceededError('a transaction needs at least one action');
  if (actions.length > KV_LIMITS.maxTransactActions) {
    throw new LimitExceededError(`transaction of ${actions.length} actions, over ${KV_LIMITS.maxTransactActions}`);
  }
  const seen = new Set<string>();
  let total = 0;
  for (const action of actions) {
    checkTable(action.table);
    const key = keyOf(action);
    checkKey(key);
    const id = `${action.table}\u0000${key.pk}\u0000${key.sk}`;
    if (seen.has(id)) throw new LimitExceededError(`transaction touches ${action.table} ${key.pk}/${key.sk} twice`);
    seen.add(id);
    if (action.type === 'put') checkItemSize(action.item);
    total += actionSize(action);
  }
  if (total > KV_LIMITS.maxTransactBytes) throw new LimitExceededError(`transaction of ${total} bytes, over 4 MB`);
}
