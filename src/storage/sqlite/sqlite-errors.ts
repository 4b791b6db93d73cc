// SQLite failures as the ports' typed errors, for every store on a better-sqlite3 connection (KV and blobs).
import Database from 'better-sqlite3';
import { StorageError, TransactionConflictError, UnavailableError } from '../errors.js';

/** Runs `body` on `db`, mapping SQLite's errors: busy/locked → TransactionConflictError, others → UnavailableError. */
export function sqliteGuard<T>(db: Database.Database, body: () => T): T {
  try {
    return body();
  } catch (error) {
    if (error instanceof StorageError) throw error;
    if (error instanceof Database.SqliteError) {
      if (error.code.startsWith('SQLITE_BUSY') || error.code.startsWith('SQLITE_LOCKED')) {
        throw new TransactionConflictError(`database is busy: ${error.message}`);
      }
      throw new UnavailableError(`sqlite: ${error.message}`);
    }
    if (!db.open) throw new UnavailableError('the store is closed');
    throw error;
  }
}
