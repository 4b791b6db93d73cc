// WAL checkpoints of the embedded database run on a worker thread (src/storage/sqlite/wal-checkpointer.ts), not
// inside a commit on the event loop: the KV's and the blob table's commits leave the log to grow past SQLite's
// 1000-page automatic checkpoint, the worker copies all of it, and the log restarts and is cut back to
// JOURNAL_SIZE_LIMIT_BYTES. Sizes and frame counts only: no timing.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteKv } from '../../src/storage/sqlite/sqlite-kv.js';
import { SqliteBlob } from '../../src/storage/sqlite/sqlite-blob.js';
import { JOURNAL_SIZE_LIMIT_BYTES } from '../../src/storage/sqlite/wal-checkpointer.js';

const dir = mkdtempSync(join(tmpdir(), 'stratus-checkpoint-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const ITEM_BYTES = 64 * 1024;
const filler = 'x'.repeat(ITEM_BYTES);
const walBytes = (file: string): number => (existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0);
/** Never on its own within a test: only explicit checkpoint() calls run. */
const NO_TIMER = { intervalMs: 3_600_000 };

async function writeMegabytes(kv: SqliteKv, megabytes: number, prefix: string): Promise<void> {
  const items = (megabytes * 1024 * 1024) / ITEM_BYTES;
  for (let i = 0; i < items; i++) await kv.put('mail', { pk: `${prefix}`, sk: String(i).padStart(6, '0'), body: filler });
}

describe('SqliteKv WAL checkpoints on a worker thread', () => {
  it('commits never checkpoint at 1000 pages; the worker copies the whole log and it restarts cut back to the limit', async () => {
    const file = join(dir, 'explicit.db');
    const kv = new SqliteKv(file, { checkpoints: NO_TIMER });
    try {
      await writeMegabytes(kv, 24, 'a');
      // 24 MB of commits is ~6,000 frames: SQLite's own checkpoint would have restarted the log every 1,000.
      assert.ok(walBytes(file) > JOURNAL_SIZE_LIMIT_BYTES, `the WAL holds every commit (${walBytes(file)} bytes)`);
      const result = await kv.checkpoint();
      assert.ok(result !== undefined);
      assert.ok(result.log > 5000, `frames in the log: ${result.log}`);
      assert.equal(result.checkpointed, result.log, 'a passive checkpoint with no reader copies the whole log');
      assert.ok(statSync(file).size >= 24 * 1024 * 1024, 'the database file holds the copied pages');
      // The next commit restarts the log from its beginning and truncates the file to journal_size_limit.
      await kv.put('mail', { pk: 'a', sk: 'after', body: 'y' });
      assert.ok(walBytes(file) <= JOURNAL_SIZE_LIMIT_BYTES, `the WAL was cut back (${walBytes(file)} bytes)`);
      assert.equal((await kv.get('mail', { pk: 'a', sk: '000100' }))?.body, filler);
    } finally {
      await kv.close();
    }
  });

  it('the blob table on the same file leaves checkpoints to the worker too', async () => {
    const file = join(dir, 'with-blobs.db');
    const kv = new SqliteKv(file, { checkpoints: NO_TIMER });
    const blobs = new SqliteBlob(file);
    try {
      await kv.put('mail', { pk: 'b', sk: 'first', n: 1 });
      const body = Buffer.alloc(ITEM_BYTES, 1);
      for (let i = 0; i < 160; i++) await blobs.put(`m/${i}`, body, body.length); // 10 MB
      const result = await kv.checkpoint();
      assert.ok(result !== undefined);
      assert.ok(result.log > 2000, `the blob connection did not checkpoint at 1000 pages (log ${result.log})`);
      assert.equal(result.checkpointed, result.log);
    } finally {
      await blobs.close();
      await kv.close();
    }
  });

  it('on its timer the worker keeps the WAL bounded while commits go on', async () => {
    const file = join(dir, 'timer.db');
    const kv = new SqliteKv(file, { checkpoints: { intervalMs: 5 } });
    try {
      let largest = 0;
      for (let round = 0; round < 8; round++) {
        await writeMegabytes(kv, 4, `t${round}`);
        largest = Math.max(largest, walBytes(file));
        const result = await kv.nextCompleteCheckpoint();
        assert.ok(result !== undefined && result.checkpointed === result.log);
      }
      // 32 MB written; without checkpoints (or with some that never let the log restart) it would hold all of it.
      assert.ok(largest <= 8 * 1024 * 1024, `the WAL stayed small (largest ${largest} bytes)`);
      assert.ok(statSync(file).size >= 32 * 1024 * 1024, 'the database file holds the copied pages');
      assert.equal((await kv.get('mail', { pk: 't7', sk: '000063' }))?.body, filler);
    } finally {
      await kv.close();
    }
  });

  it('with checkpoints: false the commits checkpoint as SQLite does by default', async () => {
    const file = join(dir, 'default.db');
    const kv = new SqliteKv(file, { checkpoints: false });
    try {
      await writeMegabytes(kv, 12, 'd');
      assert.ok(walBytes(file) < 8 * 1024 * 1024, `the log restarted every 1000 pages (${walBytes(file)} bytes)`);
      assert.equal(await kv.checkpoint(), undefined);
    } finally {
      await kv.close();
    }
  });
});
