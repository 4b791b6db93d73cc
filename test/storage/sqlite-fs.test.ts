// The embedded backend (SQLite + files) against the port conformance suites, plus what only it can show:
// atomicity across connections and processes sharing one database file.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { SqliteKv } from '../../src/storage/sqlite/sqlite-kv.js';
import { FsBlob } from '../../src/storage/fs/fs-blob.js';
import { ConditionFailedError, StorageError } from '../../src/storage/errors.js';
import { kvConformance } from './kv-conformance.js';
import { blobConformance } from './blob-conformance.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'stratus-sqlite-fs-'));
after(() => rmSync(dir, { recursive: true, force: true }));

kvConformance('SqliteKv (file)', async () => new SqliteKv(join(dir, 'kv', 'conformance.db')));
kvConformance('SqliteKv (:memory:)', async () => new SqliteKv(':memory:'));
blobConformance('FsBlob', async () => new FsBlob(join(dir, 'blobs')));
// The same behaviour when get and head of objects just written are answered from memory.
blobConformance('FsBlob (recent objects kept in memory)', async () => new FsBlob(join(dir, 'blobs-recent'), { recentBytes: 1024 * 1024 }));

describe('SqliteKv sharing one file', () => {
  it('two connections on one file see each other’s writes: interleaved CAS increments lose nothing', async () => {
    const file = join(dir, 'shared-connections.db');
    const a = new SqliteKv(file);
    const b = new SqliteKv(file);
    const key = { pk: 'shared', sk: 'counter' };
    await a.put('mail', { ...key, n: 0 });
    async function writer(kv: SqliteKv): Promise<void> {
      for (let i = 0; i < 25; i++) {
        for (;;) {
          const n = (await kv.get('mail', key))?.n as number;
          try {
            await kv.update('mail', key, { set: { n: n + 1 } }, { condition: { op: 'eq', attr: 'n', value: n } });
            break;
          } catch (error) {
            if (!(error instanceof ConditionFailedError)) throw error;
          }
        }
      }
    }
    await Promise.all([writer(a), writer(b), writer(a), writer(b)]);
    assert.equal((await b.get('mail', key))?.n, 100);
    assert.equal((await a.get('mail', key))?.n, 100);
    await a.close();
    await b.close();
  });

  it('two processes doing concurrent CAS increments lose nothing', async () => {
    const file = join(dir, 'shared-processes.db');
    const kv = new SqliteKv(file);
    const key = { pk: 'procs', sk: 'counter' };
    await kv.put('mail', { ...key, n: 0 });
    const worker = fileURLToPath(new URL('./sqlite-cas-worker.ts', import.meta.url));
    const increments = 200;
    await Promise.all(
      [1, 2, 3].map(() => run(process.execPath, ['--import', 'tsx', worker, file, key.pk, String(increments)], { timeout: 120_000 })),
    );
    assert.equal((await kv.get('mail', key))?.n, 3 * increments);
    await kv.close();
  });

  it('keeps data after close and reopen', async () => {
    const file = join(dir, 'reopen.db');
    const first = new SqliteKv(file);
    await first.put('mail', { pk: 'p', sk: 's', bin: new Uint8Array([1, 2, 3]) });
    await first.close();
    const second = new SqliteKv(file);
    assert.deepEqual((await second.get('mail', { pk: 'p', sk: 's' }))?.bin, new Uint8Array([1, 2, 3]));
    await second.close();
  });

  it('forgets an idempotency token after 10 minutes', async () => {
    let now = 1_000_000;
    const kv = new SqliteKv(':memory:', { now: () => now });
    const actions = [{ type: 'update' as const, table: 'mail' as const, key: { pk: 'tok', sk: 'c' }, update: { add: { n: 1 } } }];
    await kv.transactWrite(actions, { token: 't1' });
    now += 9 * 60_000;
    await kv.transactWrite(actions, { token: 't1' });
    assert.equal((await kv.get('mail', { pk: 'tok', sk: 'c' }))?.n, 1);
    now += 2 * 60_000;
    await kv.transactWrite(actions, { token: 't1' });
    assert.equal((await kv.get('mail', { pk: 'tok', sk: 'c' }))?.n, 2);
    await kv.close();
  });

  it('rejects a token reused for a different transaction', async () => {
    const kv = new SqliteKv(':memory:');
    await kv.transactWrite([{ type: 'put', table: 'mail', item: { pk: 'a', sk: 'b' } }], { token: 'same' });
    await assert.rejects(kv.transactWrite([{ type: 'put', table: 'mail', item: { pk: 'a', sk: 'c' } }], { token: 'same' }), StorageError);
    assert.equal(await kv.get('mail', { pk: 'a', sk: 'c' }), undefined);
    await kv.close();
  });
});

describe('FsBlob on disk', () => {
  it('rejects keys that would leave the root', async () => {
    const blob = new FsBlob(join(dir, 'keys'));
    for (const key of ['../x', 'a/../../x', '/etc/passwd', 'a//b', '', 'a/./b', 'a\\b']) {
      await assert.rejects(blob.put(key, Buffer.from('x'), 1), StorageError, key);
      await assert.rejects(blob.get(key), StorageError, key);
    }
  });

  it('answers get and head of an object it just wrote from memory, and a delete or another put drops that copy', async () => {
    const root = join(dir, 'recent');
    const blob = new FsBlob(root, { recentBytes: 1000, recentMaxObjectBytes: 600 });
    const key = 't/a/u/b/m/r.eml';
    await blob.put(key, Buffer.from('hello world'), 11);
    rmSync(join(root, key)); // gone from disk behind the store's back: only the kept copy can answer now
    assert.equal((await blob.head(key))?.size, 11);
    const chunks: Buffer[] = [];
    for await (const c of await blob.get(key, { start: 6, end: 100 })) chunks.push(c as Buffer);
    assert.equal(Buffer.concat(chunks).toString(), 'world');
    await blob.delete(key);
    assert.equal(await blob.head(key), undefined);
    // Too big to keep (600 bytes each at most), and the total stays under 1000 bytes: the oldest goes first.
    await blob.put('big', Buffer.alloc(700), 700);
    await blob.put('k1', Buffer.alloc(500), 500);
    await blob.put('k2', Buffer.alloc(500), 500);
    await blob.put('k3', Buffer.alloc(500), 500);
    for (const k of ['big', 'k1', 'k2', 'k3']) rmSync(join(root, k));
    assert.equal(await blob.head('big'), undefined);
    assert.equal(await blob.head('k1'), undefined);
    assert.equal((await blob.head('k2'))?.size, 500);
    assert.equal((await blob.head('k3'))?.size, 500);
  });

  it('leaves no temp file behind after a failed put', async () => {
    const root = join(dir, 'temps');
    const blob = new FsBlob(root);
    await blob.put('t/a/u/b/m/keep.eml', Buffer.from('ok'), 2);
    await assert.rejects(blob.put('t/a/u/b/m/short.eml', Buffer.from('abc'), 10));
    assert.deepEqual(readdirSync(join(root, 't/a/u/b/m')), ['keep.eml']);
  });
});
