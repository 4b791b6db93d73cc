// The KV port on DynamoDB. Limits are checked before sending; SDK errors become the port's typed errors.
import { createHash } from 'node:crypto';
import {
  BatchGetItemCommand,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  type DynamoDBClient,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import { ThrottledError } from '../errors.js';
import type {
  Condition,
  KvItem,
  KvKey,
  KvStore,
  QueryInput,
  QueryPage,
  ReadOptions,
  TableName,
  TransactOptions,
  TxAction,
  Update,
  WriteOptions,
} from '../kv.js';
import { fromAttributeMap, keyAttributes, toAttributeMap, type AttributeMap } from './attribute-values.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { toStorageError } from './error-mapping.js';
import { ExpressionBuilder } from './expressions.js';
import { checkBatchGet, checkItemSize, checkTransaction, checkUpdateSize } from '../limits.js';
import { createKvTables, type KvTableNames } from './tables.js';

export interface DynamoKvOptions {
  client: DynamoDBClient;
  tables: KvTableNames;
}

/** Rounds of UnprocessedKeys retries before batchGet gives up as throttled. */
const MAX_BATCH_GET_ROUNDS = 8;
/** An update with nothing to change still has to name an item inside a transaction: a check that always holds. */
const ALWAYS: Condition = { op: 'or', conditions: [{ op: 'exists', attr: 'pk' }, { op: 'notExists', attr: 'pk' }] };

/**
 * DynamoDB takes a ClientRequestToken of at most 36 characters; the port takes any string. A digest keeps every
 * caller token distinct (216 bits) and always fits.
 */
function requestToken(token: string | undefined): string | undefined {
  return token === undefined ? undefined : createHash('sha256').update(token, 'utf8').digest('base64url').slice(0, 36);
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class DynamoKv implements KvStore {
  private readonly client: DynamoDBClient;
  private readonly tables: KvTableNames;

  constructor(options: DynamoKvOptions) {
    this.client = options.client;
    this.tables = options.tables;
  }

  static createTables(client: DynamoDBClient, tables: KvTableNames): Promise<void> {
    return createKvTables(client, tables);
  }

  private tableName(table: TableName): string {
    return this.tables[table];
  }

  /** Sends a command, turning service errors into storage errors. */
  private async send<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      throw toStorageError(err);
    }
  }

  async get(table: TableName, key: KvKey, options?: ReadOptions): Promise<KvItem | undefined> {
    const out = await this.send(() =>
      this.client.send(
        new GetItemCommand({
          TableName: this.tableName(table),
          Key: keyAttributes(key),
          ConsistentRead: options?.consistent ?? false,
        }),
      ),
    );
    return out.Item === undefined ? undefined : fromAttributeMap(out.Item);
  }

  async batchGet(table: TableName, keys: KvKey[], options?: ReadOptions): Promise<KvItem[]> {
    checkBatchGet(keys);
    const name = this.tableName(table);
    // DynamoDB refuses duplicate keys in one request; asking twice for one item returns it once anyway.
    const unique = new Map(keys.map((k) => [JSON.stringify([k.pk, k.sk]), k]));
    let pending: AttributeMap[] = [...unique.values()].map(keyAttributes);
    const items: KvItem[] = [];
    for (let round = 0; pending.length > 0; round += 1) {
      if (round >= MAX_BATCH_GET_ROUNDS) throw new ThrottledError(`batchGet: ${pending.length} keys still unprocessed`);
      if (round > 0) await pause(Math.min(1000, 25 * 2 ** round) * Math.random());
      const request = { Keys: pending, ConsistentRead: options?.consistent ?? false };
      const out = await this.send(() => this.client.send(new BatchGetItemCommand({ RequestItems: { [name]: request } })));
      for (const item of out.Responses?.[name] ?? []) items.push(fromAttributeMap(item));
      pending = out.UnprocessedKeys?.[name]?.Keys ?? [];
    }
    return items;
  }

  async query(table: TableName, input: QueryInput): Promise<QueryPage> {
    const expressions = new ExpressionBuilder();
    const keyCondition = expressions.keyCondition(input.pk, input.sk);
    const out = await this.send(() =>
      this.client.send(
        new QueryCommand({
          TableName: this.tableName(table),
          KeyConditionExpression: keyCondition,
          ...expressions.parts(),
          ScanIndexForward: !(input.reverse ?? false),
          Limit: input.limit,
          ExclusiveStartKey: input.cursor === undefined ? undefined : decodeCursor(input.cursor, input.pk),
          ConsistentRead: input.consistent ?? false,
        }),
      ),
    );
    const page: QueryPage = { items: (out.Items ?? []).map(fromAttributeMap) };
    const cursor = encodeCursor(out.LastEvaluatedKey);
    if (cursor !== undefined) page.cursor = cursor;
    return page;
  }

  async put(table: TableName, item: KvItem, options?: WriteOptions): Promise<void> {
    checkItemSize(item);
    const expressions = new ExpressionBuilder();
    const condition = options?.condition === undefined ? undefined : expressions.condition(options.condition);
    await this.send(() =>
      this.client.send(
        new PutItemCommand({
          TableName: this.tableName(table),
          Item: toAttributeMap(item),
          ConditionExpression: condition,
          ...expressions.parts(),
          ReturnValuesOnConditionCheckFailure: condition === undefined ? undefined : 'ALL_OLD',
        }),
      ),
    );
  }

  async update(table: TableName, key: KvKey, update: Update, options?: WriteOptions): Promise<KvItem> {
    checkUpdateSize(key, update);
    const expressions = new ExpressionBuilder();
    const updateExpression = expressions.update(update);
    const condition = options?.condition === undefined ? undefined : expressions.condition(options.condition);
    const out = await this.send(() =>
      this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName(table),
          Key: keyAttributes(key),
          UpdateExpression: updateExpression,
          ConditionExpression: condition,
          ...expressions.parts(),
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: condition === undefined ? undefined : 'ALL_OLD',
        }),
      ),
    );
    // An empty update of a missing item creates it with its key only, and DynamoDB then returns no attributes.
    return out.Attributes === undefined ? { pk: key.pk, sk: key.sk } : fromAttributeMap(out.Attributes);
  }

  async delete(table: TableName, key: KvKey, options?: WriteOptions): Promise<void> {
    const expressions = new ExpressionBuilder();
    const condition = options?.condition === undefined ? undefined : expressions.condition(options.condition);
    await this.send(() =>
      this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName(table),
          Key: keyAttributes(key),
          ConditionExpression: condition,
          ...expressions.parts(),
          ReturnValuesOnConditionCheckFailure: condition === undefined ? undefined : 'ALL_OLD',
        }),
      ),
    );
  }

  async transactWrite(actions: TxAction[], options?: TransactOptions): Promise<void> {
    checkTransaction(actions);
    if (actions.length === 0) return;
    const items = actions.map((action) => this.transactItem(action));
    await this.send(() =>
      this.client.send(new TransactWriteItemsCommand({ TransactItems: items, ClientRequestToken: requestToken(options?.token) })),
    );
  }

  private transactItem(action: TxAction): TransactWriteItem {
    const TableName = this.tableName(action.table);
    const expressions = new ExpressionBuilder();
    const ReturnValuesOnConditionCheckFailure = 'ALL_OLD' as const;
    switch (action.type) {
      case 'put': {
        const condition = action.condition === undefined ? undefined : expressions.condition(action.condition);
        const Item = toAttributeMap(action.item);
        return { Put: { TableName, Item, ConditionExpression: condition, ...expressions.parts(), ReturnValuesOnConditionCheckFailure } };
      }
      case 'update': {
        const updateExpression = expressions.update(action.update);
        if (updateExpression === undefined) {
          // TransactWriteItems requires an UpdateExpression; a no-op update is only its condition.
          const ConditionExpression = expressions.condition(action.condition ?? ALWAYS);
          const Key = keyAttributes(action.key);
          return { ConditionCheck: { TableName, Key, ConditionExpression, ...expressions.parts(), ReturnValuesOnConditionCheckFailure } };
        }
        const condition = action.condition === undefined ? undefined : expressions.condition(action.condition);
        return {
          Update: {
            TableName,
            Key: keyAttributes(action.key),
            UpdateExpression: updateExpression,
            ConditionExpression: condition,
            ...expressions.parts(),
            ReturnValuesOnConditionCheckFailure,
          },
        };
      }
      case 'delete': {
        const condition = action.condition === undefined ? undefined : expressions.condition(action.condition);
        const Key = keyAttributes(action.key);
        return { Delete: { TableName, Key, ConditionExpression: condition, ...expressions.parts(), ReturnValuesOnConditionCheckFailure } };
      }
      case 'check': {
        const ConditionExpression = expressions.condition(action.condition);
        const Key = keyAttributes(action.key);
        return { ConditionCheck: { TableName, Key, ConditionExpression, ...expressions.parts(), ReturnValuesOnConditionCheckFailure } };
      }
    }
  }

  /** The client belongs to the caller, who may share it; nothing of ours to release. */
  async close(): Promise<void> {}
}
