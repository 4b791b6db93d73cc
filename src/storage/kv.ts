// The KV port: the slice of DynamoDB that the mail store uses, with DynamoDB's limits, so that every backend
// (DynamoDB, SQLite) behaves the same and a test on SQLite catches what AWS would refuse.

/** Logical table names; each adapter maps them to its own physical tables. */
export type TableName = 'mail' | 'msgmeta';

/** An attribute value. Numbers are JS numbers (callers keep them below 2^53). Binary is a Uint8Array. */
export type KvValue = string | number | boolean | null | Uint8Array | KvValue[] | { [name: string]: KvValue };

/** Every item has a string partition key `pk` and a string sort key `sk`. */
export interface KvKey {
  pk: string;
  sk: string;
}

export type KvItem = KvKey & { [name: string]: KvValue };

/**
 * A condition on the current item, evaluated atomically with the write. Attribute names are top-level only.
 * Comparisons with a missing attribute are false (as in DynamoDB), except `ne`, which is true.
 */
export type Condition =
  | { op: 'exists'; attr: string }
  | { op: 'notExists'; attr: string }
  | { op: 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge'; attr: string; value: string | number | boolean }
  | { op: 'and' | 'or'; conditions: Condition[] }
  | { op: 'not'; condition: Condition };

/** An update to top-level attributes. `add` adds a number (a missing attribute counts as 0). */
export interface Update {
  set?: { [name: string]: KvValue };
  add?: { [name: string]: number };
  remove?: string[];
}

export type SortKeyCondition =
  | { beginsWith: string }
  | { between: [string, string] }
  | { gt: string }
  | { ge: string }
  | { lt: string }
  | { le: string };

export interface QueryInput {
  pk: string;
  sk?: SortKeyCondition;
  /** Descending sort-key order. */
  reverse?: boolean;
  /** Items per page, at most; a page also ends at 1 MB of items, as in DynamoDB. */
  limit?: number;
  /** Opaque cursor returned by the previous page. */
  cursor?: string;
  consistent?: boolean;
}

export interface QueryPage {
  items: KvItem[];
  /** Present when more items may follow. */
  cursor?: string;
}

export interface ReadOptions {
  /** Strongly consistent read; default false (eventual). */
  consistent?: boolean;
}

export interface WriteOptions {
  condition?: Condition;
}

export type TxAction =
  | { type: 'put'; table: TableName; item: KvItem; condition?: Condition }
  | { type: 'update'; table: TableName; key: KvKey; update: Update; condition?: Condition }
  | { type: 'delete'; table: TableName; key: KvKey; condition?: Condition }
  | { type: 'check'; table: TableName; key: KvKey; condition: Condition };

export interface TransactOptions {
  /** Idempotency token: a replay with the same token within 10 minutes is a no-op (DynamoDB ClientRequestToken). */
  token?: string;
}

/** DynamoDB's limits, enforced by every adapter. */
export const KV_LIMITS = {
  maxItemBytes: 400 * 1024,
  maxTransactActions: 100,
  maxTransactBytes: 4 * 1024 * 1024,
  maxBatchGetKeys: 100,
  maxQueryPageBytes: 1024 * 1024,
} as const;

export interface KvStore {
  get(table: TableName, key: KvKey, options?: ReadOptions): Promise<KvItem | undefined>;
  /** At most 100 keys. Returns the items found, in no particular order. */
  batchGet(table: TableName, keys: KvKey[], options?: ReadOptions): Promise<KvItem[]>;
  query(table: TableName, input: QueryInput): Promise<QueryPage>;
  put(table: TableName, item: KvItem, options?: WriteOptions): Promise<void>;
  /** Returns the item as it is after the update. */
  update(table: TableName, key: KvKey, update: Update, options?: WriteOptions): Promise<KvItem>;
  delete(table: TableName, key: KvKey, options?: WriteOptions): Promise<void>;
  /** All actions commit or none does. At most 100 actions, 4 MB, and no two actions on one item. */
  transactWrite(actions: TxAction[], options?: TransactOptions): Promise<void>;
  close(): Promise<void>;
}
