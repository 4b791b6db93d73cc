// SqliteBlob answers the first read of an object it just wrote from memory (issue #8: APPEND's function reads the
// bytes the frontend put a moment before, to index them), once. Shown by deleting the row behind the store's back
// through another connection: only the kept copy can answer then. The copy answers one read, is dropped by a delete
// or another put through the store, expires unread, and the copies stay within their byte budget, oldest out first.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import Database from 'better-sqlite3';
import { SqliteBlob, type SqliteBlobOptions } from '../../src/storage/sqlite/sqlite-blob.js';
import { EmbeddedBlob } from '../../src/storage/embedded-blob.js';
import { FsBlob } from '../../src/storage/fs/fs-blob.js';
import { BlobNotFoundError } from '../../src/storage/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'stratus-sqlite-blob-fresh-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let serial = 0;
function open(options: SqliteBlobOptions = {}): { blob: SqliteBlob; behindItsBack: (key: string) => void; path: string } {
  const path = join(dir, `b${serial++}.sqlite`);
  const blob = new SqliteBlob(path, options);
  const other = new Database(path);
  const remove = other.prepare('DELETE FROM blob_objects WHERE key = ?');
  return {
    blob,
    path,
    behindItsBack: (key) => {
      assert.equal(remove.run(key).changes, 1, `${key} has a row`);
    },
  };
}

const notFound = (err: unknown): boolean => err instanceof BlobNotFoundError;

describe('SqliteBlob: the first read of an object it just wrote', () => {
  it('is answered from memory, once: the next read is the row’s', async () => {
    const { blob, behindItsBack } = open();
    const key = 't/a/u/b/m/fresh.eml';
    await blob.put(key, Buffer.from('hello world'), 11);
    assert.equal(blob.freshHeld, 11);
    behindItsBack(key); // only the kept copy can answer now
    assert.equal((await blob.head(key))?.size, 11, 'head does not use the copy up');
    assert.equal((await blob.getBytes(key, { start: 6, end: 100 })).toString(), 'world');
    assert.equal(blob.freshHeld, 0, 'the copy answered its read and is gone');
    await assert.rejects(blob.getBytes(key), notFound);
    assert.equal(await blob.head(key), undefined);
    await blob.close();
  });

  it('answers ranges as the row would: clamped, empty past the end', async () => {
    const { blob } = open();
    const bytes = Buffer.from('0123456789');
    const cases: [{ start: number; end: number } | undefined, string][] = [
      [undefined, '0123456789'],
      [{ start: 0, end: 10 }, '0123456789'],
      [{ start: 2, end: 4 }, '234'],
      [{ start: 8, end: 100 }, '89'],
      [{ start: 10, end: 20 }, ''],
      [{ start: 12, end: 20 }, ''],
      [{ start: 5, end: 4 }, ''],
    ];
    for (const [i, [range, want]] of cases.entries()) {
      const key = `r/${i}`;
      await blob.put(key, bytes, bytes.length);
      const fromMemory = (await blob.getBytes(key, range)).toString();
      const fromRow = (await blob.getBytes(key, range)).toString();
      assert.equal(fromMemory, want, JSON.stringify(range));
      assert.equal(fromRow, want, JSON.stringify(range));
    }
    await blob.close();
  });

  it('is dropped by a delete or another put of the key', async () => {
    const { blob, behindItsBack } = open();
    await blob.put('d/1', Buffer.from('one'), 3);
    await blob.delete('d/1');
    assert.equal(blob.freshHeld, 0);
    await assert.rejects(blob.getBytes('d/1'), notFound);
    await blob.put('d/2', Buffer.from('first'), 5);
    await blob.put('d/2', Buffer.from('second'), 6);
    assert.equal(blob.freshHeld, 6);
    behindItsBack('d/2');
    assert.equal((await blob.getBytes('d/2')).toString(), 'second');
    await blob.close();
  });

  it('stays within its byte budget, oldest out first, and keeps nothing larger than the budget', async () => {
    const { blob, behindItsBack } = open({ freshBytes: 1000 });
    await blob.put('big', Buffer.alloc(1001, 1), 1001);
    assert.equal(blob.freshHeld, 0);
    for (const k of ['k1', 'k2', 'k3']) await blob.put(k, Buffer.alloc(400, 2), 400);
    assert.equal(blob.freshHeld, 800);
    for (const k of ['big', 'k1', 'k2', 'k3']) behindItsBack(k);
    await assert.rejects(blob.getBytes('big'), notFound);
    await assert.rejects(blob.getBytes('k1'), notFound, 'the oldest copy made room');
    assert.equal((await blob.getBytes('k2')).length, 400);
    assert.equal((await blob.getBytes('k3')).length, 400);
    await blob.close();
  });

  it('expires unread', async () => {
    let now = 1_000_000;
    const { blob, behindItsBack } = open({ now: () => now, freshTtlMs: 10_000 });
    await blob.put('old', Buffer.from('old'), 3);
    now += 10_001;
    behindItsBack('old');
    assert.equal(await blob.head('old'), undefined);
    await assert.rejects(blob.getBytes('old'), notFound);
    await blob.put('a', Buffer.from('a'), 1);
    now += 10_001;
    await blob.put('b', Buffer.from('b'), 1); // a put also drops what expired before it
    assert.equal(blob.freshHeld, 1);
    await blob.close();
  });

  it('can be turned off', async () => {
    const { blob, behindItsBack } = open({ freshBytes: 0 });
    await blob.put('off', Buffer.from('x'), 1);
    behindItsBack('off');
    await assert.rejects(blob.getBytes('off'), notFound);
    await blob.close();
  });

  it('serves the embedded store’s put-then-read of a message (streamed or in memory) and holds nothing after', async () => {
    const { blob: table, behindItsBack, path } = open();
    const store = new EmbeddedBlob(table, new FsBlob(join(dir, `files-${path.length}-${serial}`)));
    const raw = Buffer.from('Subject: x\r\n\r\nbody\r\n');
    await store.put('t/a/u/b/m/1.eml', Readable.from([raw.subarray(0, 5), raw.subarray(5)]), raw.length);
    await store.put('t/a/u/b/m/2.eml', raw, raw.length);
    behindItsBack('t/a/u/b/m/1.eml');
    behindItsBack('t/a/u/b/m/2.eml');
    assert.deepEqual(await store.getBytes('t/a/u/b/m/1.eml', { start: 0, end: raw.length }), raw);
    const chunks: Buffer[] = [];
    for await (const c of await store.get('t/a/u/b/m/2.eml')) chunks.push(c as Buffer);
    assert.deepEqual(Buffer.concat(chunks), raw);
    assert.equal(table.freshHeld, 0);
    await store.close();
  });
});
