// The KV port on one SQLite file (better-sqlite3). Every write runs as BEGIN IMMEDIATE with its conditions
// evaluated inside, so conditional writes and transactions are atomic across connections and processes.
import Database from 'better-sqlite3';
import { sqliteGuard } from './sqlite-errors.js';
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { serialize } from 'node:v8';
import { KV_LIMITS } from '../kv.js';
import type { Condition, KvItem, KvKey, KvStore, QueryInput, QueryPage, ReadOptions, TableName, TransactOptions, TxAction, Update, WriteOptions } from '../kv.js';
import { ConditionFailedError, LimitExceededError } from '../errors.js';
import { conditionHolds } from './condition-eval.js';
import { decodeItem, encodeItem } from './item-codec.js';
import { checkBatchGet, checkItemSize, checkKey, checkTable, checkTransaction } from '../limits.js';
import { decodeCursor, encodeCursor, sortKeySql } from './sort-key-sql.js';
import { applyUpdate, validateUpdate } from './update-apply.js';
import { JOURNAL_SIZE_LIMIT_BYTES, SAFETY_AUTOCHECKPOINT_PAGES, WalCheckpointer } from './wal-checkpointer.js';
import type { CheckpointResult } from './wal-checkpointer.js';

/** DynamoDB remembers a ClientRequestToken for 10 minutes. */
const TOKEN_TTL_MS = 10 * 60 * 1000;
/** Expired tokens are ignored when read, so deleting them is housekeeping: at most this often, not per commit. */
const TOKEN_PURGE_EVERY_MS = 10_000;
const BUSY_TIMEOUT_MS = 10_000;

interface Row {
  size: number;
  item: Buffer;
}

interface TableStatements {
  get: Database.Statement<[string, string], Row>;
  write: Database.Statement<[string, string, number, Buffer]>;
  remove: Database.Statement<[string, string]>;
}

/** A write decided inside the transaction, applied after every condition held. */
type Write = { table: TableName; key: KvKey; item?: KvItem };

export interface SqliteKvOptions {
  /** Milliseconds to wait for another connection's write lock before giving up with TransactionConflictError. */
  busyTimeoutMs?: number;
  /** Clock for idempotency-token expiry (tests). */
  now?: () => number;
  /**
   * WAL checkpoints on a worker thread (wal-checkpointer.ts), every `intervalMs` while the log has new frames;
   * false: SQLite's own, inside the commit that fills 1000 pages. A database file only (never ':memory:').
   */
  checkpoints?: { intervalMs?: number } | false;
}

export class SqliteKv implements KvStore {
  private readonly db: Database.Database;
  private readonly tables: Record<TableName, TableStatements>;
  private readonly queries = new Map<string, Database.Statement<string[], Row & { sk: string }>>();
  private readonly now: () => number;
  private readonly tokenGet: Database.Statement<[string, number], { digest: string }>;
  private readonly tokenPut: Database.Statement<[string, string, number]>;
  private readonly tokenPurge: Database.Statement<[number]>;
  /** One transaction function for every write (better-sqlite3 builds four wrappers per `transaction()` call). */
  private readonly transaction: Database.Transaction<(body: () => unknown) => unknown>;
  private lastTokenPurge = 0;
  private readonly checkpointer: WalCheckpointer | undefined;

  /** `path` is a database file (created with its directory if missing) or ':memory:'. */
  constructor(path: string, options: SqliteKvOptions = {}) {
    if (path !== ':memory:' && !path.startsWith('file:')) mkdirSync(dirname(path), { recursive: true });
    this.now = options.now ?? Date.now;
    this.db = new Database(path, { timeout: options.busyTimeoutMs ?? BUSY_TIMEOUT_MS });
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    if (options.checkpoints !== false && path !== ':memory:' && !path.startsWith('file:')) {
      this.checkpointer = new WalCheckpointer(path, () => this.db.open && this.db.pragma('wal_autocheckpoint = 1000'), options.checkpoints?.intervalMs);
      this.db.pragma(`wal_autocheckpoint = ${SAFETY_AUTOCHECKPOINT_PAGES}`);
      this.db.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT_BYTES}`);
    }
    for (const table of ['mail', 'msgmeta'] as const) {
      this.db.exec(`CREATE TABLE IF NOT EXISTS kv_${table} (pk TEXT NOT NULL, sk TEXT NOT NULL, size INTEGER NOT NULL, item BLOB NOT NULL, PRIMARY KEY (pk, sk)) WITHOUT ROWID`);
    }
    this.db.exec('CREATE TABLE IF NOT EXISTS kv_tx_tokens (token TEXT PRIMARY KEY, digest TEXT NOT NULL, expires INTEGER NOT NULL) WITHOUT ROWID');
    this.db.exec('CREATE INDEX IF NOT EXISTS kv_tx_tokens_expires ON kv_tx_tokens (expires)');
    const statements = (table: TableName): TableStatements => ({
      get: this.db.prepare(`SELECT size, item FROM kv_${table} WHERE pk = ? AND sk = ?`),
      write: this.db.prepare(`INSERT OR REPLACE INTO kv_${table} (pk, sk, size, item) VALUES (?, ?, ?, ?)`),
      remove: this.db.prepare(`DELETE FROM kv_${table} WHERE pk = ? AND sk = ?`),
    });
    this.tables = { mail: statements('mail'), msgmeta: statements('msgmeta') };
    this.tokenGet = this.db.prepare('SELECT digest FROM kv_tx_tokens WHERE token = ? AND expires > ?');
    this.tokenPut = this.db.prepare('INSERT OR REPLACE INTO kv_tx_tokens (token, digest, expires) VALUES (?, ?, ?)');
    this.tokenPurge = this.db.prepare('DELETE FROM kv_tx_tokens WHERE expires <= ?');
    this.transaction = this.db.transaction((body: () => unknown) => body());
  }

  async get(table: TableName, key: KvKey, _options?: ReadOptions): Promise<KvItem | undefined> {
    checkTable(table);
    checkKey(key);
    return this.guard(() => this.load(table, key));
  }

  async batchGet(table: TableName, keys: KvKey[], _options?: ReadOptions): Promise<KvItem[]> {
    checkTable(table);
    checkBatchGet(keys);
    return this.guard(() => {
      const items: KvItem[] = [];
      for (const key of keys) {
        const item = this.load(table, key);
        if (item !== undefined) items.push(item);
      }
      return items;
    });
  }

  async query(table: TableName, input: QueryInput): Promise<QueryPage> {
    checkTable(table);
    if (typeof input.pk !== 'string' || input.pk === '') throw new LimitExceededError('query needs a partition key');
    const limit = input.limit ?? Number.POSITIVE_INFINITY;
    if (!(limit >= 1)) throw new LimitExceededError('query limit must be at least 1');
    const range = sortKeySql(input.sk);
    let sql = `SELECT sk, size, item FROM kv_${table} WHERE pk = ?${range.sql}`;
    const params = [input.pk, ...range.params];
    if (input.cursor !== undefined) {
      sql += input.reverse ? ' AND sk < ?' : ' AND sk > ?';
      params.push(decodeCursor(input.pk, input.cursor));
    }
    sql += input.reverse ? ' ORDER BY sk DESC' : ' ORDER BY sk ASC';
    return this.guard(() => {
      const items: KvItem[] = [];
      let bytes = 0;
      let more = false;
      for (const row of this.queryStatement(sql).iterate(...params)) {
        // A page ends at `limit` items or before the item that would take it past 1 MB (always at least one).
        if (items.length >= limit || (items.length > 0 && bytes + row.size > KV_LIMITS.maxQueryPageBytes)) {
          more = true;
          break;
        }
        items.push(decodeItem(row.item));
        bytes += row.size;
      }
      const last = items[items.length - 1];
      return more && last !== undefined ? { items, cursor: encodeCursor(input.pk, last.sk) } : { items };
    });
  }

  async put(table: TableName, item: KvItem, options: WriteOptions = {}): Promise<void> {
    checkTable(table);
    checkKey(item);
    const size = checkItemSize(item);
    const encoded = encodeItem(item);
    const condition = options.condition;
    // Without a condition nothing is read: the one statement is atomic on its own (SQLite's implicit transaction).
    if (condition === undefined) {
      this.checkpointer?.start();
      this.guard(() => this.tables[table].write.run(item.pk, item.sk, size, encoded));
      return;
    }
    this.write(() => {
      this.requireCondition(0, table, item, condition);
      this.tables[table].write.run(item.pk, item.sk, size, encoded);
    });
  }

  async update(table: TableName, key: KvKey, update: Update, options: WriteOptions = {}): Promise<KvItem> {
    checkTable(table);
    checkKey(key);
    validateUpdate(update);
    return this.write(() => {
      const current = this.requireCondition(0, table, key, options.condition);
      return this.store(table, applyUpdate(key, current, update));
    });
  }

  async delete(table: TableName, key: KvKey, options: WriteOptions = {}): Promise<void> {
    checkTable(table);
    checkKey(key);
    this.write(() => {
      this.requireCondition(0, table, key, options.condition);
      this.tables[table].remove.run(key.pk, key.sk);
    });
  }

  async transactWrite(actions: TxAction[], options: TransactOptions = {}): Promise<void> {
    checkTransaction(actions);
    for (const action of actions) if (action.type === 'update') validateUpdate(action.update);
    const token = options.token;
    const digest = token === undefined ? '' : createHash('sha256').update(serialize(actions)).digest('hex');
    this.write(() => {
      const now = this.now();
      if (token !== undefined) {
        if (now - this.lastTokenPurge >= TOKEN_PURGE_EVERY_MS) {
          this.tokenPurge.run(now);
          this.lastTokenPurge = now;
        }
        const seen = this.tokenGet.get(token, now);
        if (seen?.digest === digest) return; // an identical replay: DynamoDB reports success and changes nothing
        if (seen !== undefined) throw new LimitExceededError('idempotency token reused for a different transaction');
      }
      // Conditions are all judged against the state before the transaction, then the writes are applied.
      const writes: Write[] = [];
      actions.forEach((action, index) => {
        const key = action.type === 'put' ? action.item : action.key;
        const current = this.requireCondition(index, action.table, key, action.condition);
        if (action.type === 'put') writes.push({ table: action.table, key, item: action.item });
        else if (action.type === 'update') writes.push({ table: action.table, key, item: applyUpdate(key, current, action.update) });
        else if (action.type === 'delete') writes.push({ table: action.table, key });
      });
      for (const w of writes) {
        if (w.item === undefined) this.tables[w.table].remove.run(w.key.pk, w.key.sk);
        else this.writeItem(w.table, w.item);
      }
      if (token !== undefined) this.tokenPut.run(token, digest, now + TOKEN_TTL_MS);
    });
  }

  /** Checkpoints the WAL now on the checkpointer's thread (PASSIVE); undefined without one. Tests and tools. */
  async checkpoint(): Promise<CheckpointResult | undefined> {
    return this.checkpointer?.checkpoint();
  }

  /** Resolves after the next background checkpoint that copied the whole WAL; undefined without a checkpointer. */
  async nextCompleteCheckpoint(): Promise<CheckpointResult | undefined> {
    return this.checkpointer?.nextCompleteCheckpoint();
  }

  async close(): Promise<void> {
    await this.checkpointer?.close();
    if (this.db.open) this.db.close();
  }

  private load(table: TableName, key: KvKey): KvItem | undefined {
    const row = this.tables[table].get.get(key.pk, key.sk);
    return row === undefined ? undefined : decodeItem(row.item);
  }

  /** Reads the current item and throws ConditionFailedError (with it) unless the condition holds. */
  private requireCondition(index: number, table: TableName, key: KvKey, condition: Condition | undefined): KvItem | undefined {
    const current = this.load(table, key);
    if (condition !== undefined && !conditionHolds(condition, current)) throw new ConditionFailedError(index, current);
    return current;
  }

  /** Writes an item after the size check; returns it as stored (a copy that shares nothing with the caller). */
  private store(table: TableName, item: KvItem): KvItem {
    return decodeItem(this.writeItem(table, item));
  }

  /** Writes an item after the size check; returns its encoding. */
  private writeItem(table: TableName, item: KvItem): Buffer {
    const size = checkItemSize(item);
    const encoded = encodeItem(item);
    this.tables[table].write.run(item.pk, item.sk, size, encoded);
    return encoded;
  }

  private queryStatement(sql: string): Database.Statement<string[], Row & { sk: string }> {
    let statement = this.queries.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.queries.set(sql, statement);
    }
    return statement;
  }

  /** Runs `body` in BEGIN IMMEDIATE: it takes the write lock first, so no other connection can interleave. */
  private write<T>(body: () => T): T {
    this.checkpointer?.start();
    return this.guard(() => this.transaction.immediate(body) as T);
  }

  /** Maps SQLite failures to the port's typed errors (sqlite-errors.ts). */
  private guard<T>(body: () => T): T {
    return sqliteGuard(this.db, body);
  }
}
