// The embedded backend's blob store: small objects as rows of the KV's SQLite database, large ones as files
// (src/storage/embedded-blob.ts). The port conformance suite against the table alone and against the composed store
// at three thresholds, then what only the composition can get wrong: which place a key lives in, merged listing,
// data directories written before the table existed, and several connections and processes on one database.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Readable } from 'node:stream';
import { SqliteBlob } from '../../src/storage/sqlite/sqlite-blob.js';
import { SqliteKv } from '../../src/storage/sqlite/sqlite-kv.js';
import { FsBlob } from '../../src/storage/fs/fs-blob.js';
import { EmbeddedBlob, DEFAULT_SMALL_MAX_BYTES } from '../../src/storage/embedded-blob.js';
import { BlobNotFoundError } from '../../src/storage/errors.js';
import type { BlobListEntry, BlobStore } from '../../src/storage/blob.js';
import { blobConformance } from './blob-conformance.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'stratus-embedded-blob-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let serial = 0;
/** A fresh database file and blob directory, as a data directory has them. */
function dataDir(): { database: string; root: string } {
  const base = join(dir, `d${serial++}`);
  return { database: join(base, 'stratus.sqlite'), root: join(base, 'blobs') };
}

function open(smallMaxBytes?: number, at = dataDir()): { store: EmbeddedBlob; table: SqliteBlob; files: FsBlob; at: ReturnType<typeof dataDir> } {
  const table = new SqliteBlob(at.database);
  const files = new FsBlob(at.root);
  return { store: new EmbeddedBlob(table, files, smallMaxBytes === undefined ? {} : { smallMaxBytes }), table, files, at };
}

async function text(store: BlobStore, key: string, range?: { start: number; end: number }): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of await store.get(key, range)) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks).toString();
}

async function listAll(store: BlobStore, prefix: string, limit: number): Promise<{ pages: number; entries: BlobListEntry[] }> {
  const entries: BlobListEntry[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await store.list(prefix, { cursor, limit });
    assert.ok(page.entries.length <= limit);
    entries.push(...page.entries);
    cursor = page.cursor;
    pages++;
    assert.ok(pages < 100, 'list paging does not end');
  } while (cursor !== undefined);
  return { pages, entries };
}

blobConformance('SqliteBlob (every object a row)', async () => new SqliteBlob(join(dir, 'conformance-table.sqlite')));
blobConformance('SqliteBlob (:memory:)', async () => new SqliteBlob(':memory:'));
blobConformance('EmbeddedBlob (default threshold: messages rows, 20 MiB a file)', async () => open().store);
// Most conformance objects are larger than 64 bytes: the file path with the table in front of it.
blobConformance('EmbeddedBlob (64-byte threshold: most objects files)', async () => open(64).store);
// The list tests' bodies are their keys (~30 bytes): some rows, some files, listed together.
blobConformance('EmbeddedBlob (28-byte threshold: list tests mix rows and files)', async () => open(28).store);

describe('EmbeddedBlob: where a key lives', () => {
  it('an object of exactly the threshold is a row; one byte more is a file', async () => {
    const { store, table, at } = open(100);
    await store.put('t/a/u/b/m/at.eml', Buffer.alloc(100, 'a'), 100);
    await store.put('t/a/u/b/m/over.eml', Buffer.alloc(101, 'b'), 101);
    assert.equal(table.stat('t/a/u/b/m/at.eml')?.size, 100);
    assert.equal(existsSync(join(at.root, 't/a/u/b/m/at.eml')), false);
    assert.equal(table.stat('t/a/u/b/m/over.eml'), undefined);
    assert.equal(existsSync(join(at.root, 't/a/u/b/m/over.eml')), true);
    assert.equal(await text(store, 't/a/u/b/m/at.eml'), 'a'.repeat(100));
    assert.equal(await text(store, 't/a/u/b/m/over.eml'), 'b'.repeat(101));
    assert.equal((await store.head('t/a/u/b/m/over.eml'))?.size, 101);
    await store.close();
  });

  it('the default threshold keeps a 256 KiB message in the table and a snapshot-sized object in a file', async () => {
    const { store, table, at } = open();
    await store.put('t/a/u/b/m/big.eml', Buffer.alloc(DEFAULT_SMALL_MAX_BYTES), DEFAULT_SMALL_MAX_BYTES);
    await store.put('t/a/u/b/x/1.snap', Buffer.alloc(DEFAULT_SMALL_MAX_BYTES + 1), DEFAULT_SMALL_MAX_BYTES + 1);
    assert.equal(table.stat('t/a/u/b/m/big.eml')?.size, DEFAULT_SMALL_MAX_BYTES);
    assert.equal(existsSync(join(at.root, 't/a/u/b/x/1.snap')), true);
    await store.close();
  });

  it('a small put over a file-resident key is what get, head and list answer; delete removes both', async () => {
    const { store, files, at } = open(100);
    await files.put('k/old', Buffer.from('the old version, a file'), 23); // written before the table existed
    await store.put('k/old', Buffer.from('new row'), 7);
    assert.equal(await text(store, 'k/old'), 'new row');
    assert.equal((await store.head('k/old'))?.size, 7);
    const listed = (await listAll(store, 'k/', 10)).entries;
    assert.deepEqual(listed.map((e) => [e.key, e.size]), [['k/old', 7]]);
    await store.delete('k/old');
    assert.equal(await store.head('k/old'), undefined);
    await assert.rejects(store.get('k/old'), BlobNotFoundError);
    assert.equal(existsSync(join(at.root, 'k/old')), false);
    await store.close();
  });

  it('a large put over a row-resident key removes the row', async () => {
    const { store, table } = open(10);
    await store.put('k/grow', Buffer.from('small'), 5);
    assert.ok(table.stat('k/grow'));
    await store.put('k/grow', Buffer.from('now larger than ten'), 19);
    assert.equal(table.stat('k/grow'), undefined);
    assert.equal(await text(store, 'k/grow'), 'now larger than ten');
    assert.deepEqual((await listAll(store, 'k/', 10)).entries.map((e) => [e.key, e.size]), [['k/grow', 19]]);
    await store.close();
  });

  it('a failed large put over a row keeps the row whole', async () => {
    const { store } = open(10);
    await store.put('k/keep', Buffer.from('kept'), 4);
    await assert.rejects(store.put('k/keep', Readable.from([Buffer.alloc(50)]), 500));
    assert.equal(await text(store, 'k/keep'), 'kept');
    await store.close();
  });

  it('a short or failing stream leaves nothing, in the table and in the files', async () => {
    const { store, table, at } = open(1000);
    await assert.rejects(store.put('s/small', Readable.from([Buffer.alloc(100)]), 200));
    const failing = Readable.from(
      (async function* () {
        yield Buffer.alloc(10);
        throw new Error('client went away');
      })(),
    );
    await assert.rejects(store.put('s/small2', failing, 500));
    await assert.rejects(store.put('s/large', Readable.from([Buffer.alloc(1500)]), 2000));
    await assert.rejects(store.put('s/long', Readable.from([Buffer.alloc(300)]), 200));
    assert.equal(table.listRange('s/', undefined, 10).entries.length, 0);
    assert.deepEqual((await listAll(store, 's/', 10)).entries, []);
    assert.equal(existsSync(join(at.root, 's')) && (await listAll(new FsBlob(at.root), 's/', 10)).entries.length > 0, false);
    await store.close();
  });

  it('range reads of a row: inclusive, clamped, empty past the end', async () => {
    const { store } = open();
    await store.put('r/x', Buffer.from('0123456789'), 10);
    assert.equal(await text(store, 'r/x', { start: 2, end: 4 }), '234');
    assert.equal(await text(store, 'r/x', { start: 7, end: 100 }), '789');
    assert.equal(await text(store, 'r/x', { start: 9, end: 9 }), '9');
    assert.equal(await text(store, 'r/x', { start: 10, end: 20 }), '');
    assert.equal(await text(store, 'r/x', { start: 50, end: 60 }), '');
    await assert.rejects(store.get('r/missing', { start: 0, end: 1 }), BlobNotFoundError);
    await store.close();
  });
});

describe('EmbeddedBlob: listing rows and files together', () => {
  it('merges both sources in key order, a page at a time, each key once', async () => {
    const { store, files } = open(10);
    const expected: [string, number][] = [];
    for (let i = 0; i < 23; i++) {
      const key = `L/m/${String(i).padStart(3, '0')}.eml`;
      const size = i % 3 === 0 ? 20 : 5; // every third a file, the rest rows
      await store.put(key, Buffer.alloc(size), size);
      expected.push([key, size]);
    }
    await files.put('L/m/005.eml', Buffer.alloc(40), 40); // shadowed by the row of that key
    await files.put('L/m/100.eml', Buffer.alloc(30), 30); // a file only (an older data directory)
    expected.push(['L/m/100.eml', 30]);
    await store.put('L/n/other', Buffer.alloc(1), 1); // outside the prefix listed below
    for (const limit of [1, 2, 3, 4, 7, 10, 1000]) {
      const { pages, entries } = await listAll(store, 'L/m/', limit);
      assert.deepEqual(entries.map((e) => [e.key, e.size]), expected, `limit ${limit}`);
      assert.ok(pages >= Math.ceil(expected.length / limit) && pages <= Math.ceil(expected.length / limit) + 1, `limit ${limit}: ${pages} pages`);
      for (const entry of entries) assert.ok(entry.lastModified instanceof Date);
    }
    assert.deepEqual((await listAll(store, 'L/', 5)).entries.map((e) => e.key), [...expected.map(([k]) => k), 'L/n/other']);
    assert.deepEqual((await listAll(store, 'L/m/01', 2)).entries.map((e) => e.key), expected.map(([k]) => k).filter((k) => k.startsWith('L/m/01')));
    await store.close();
  });
});

describe('EmbeddedBlob over a data directory from before the table', () => {
  it('reads, heads, lists and deletes objects that exist only as files', async () => {
    const at = dataDir();
    const old = new FsBlob(at.root);
    const body = Buffer.from('From: a@example.com\r\n\r\nhello\r\n');
    await old.put('t/a/u/b/m/e1.eml', body, body.length);
    await old.put('t/a/u/b/x/snap-1', Buffer.alloc(3000, 1), 3000);
    await old.close();
    const kv = new SqliteKv(at.database); // the KV's database exists already, without the blob table
    await kv.put('mail', { pk: 'p', sk: 's', v: 1 });
    await kv.close();
    const { store } = open(undefined, at);
    assert.equal(await text(store, 't/a/u/b/m/e1.eml'), body.toString());
    assert.equal(await text(store, 't/a/u/b/m/e1.eml', { start: 23, end: 27 }), 'hello');
    assert.equal((await store.head('t/a/u/b/x/snap-1'))?.size, 3000);
    assert.deepEqual((await listAll(store, 't/a/u/b/', 1)).entries.map((e) => e.key), ['t/a/u/b/m/e1.eml', 't/a/u/b/x/snap-1']);
    await store.delete('t/a/u/b/m/e1.eml');
    await assert.rejects(store.get('t/a/u/b/m/e1.eml'), BlobNotFoundError);
    await store.close();
    const kvAgain = new SqliteKv(at.database);
    assert.equal((await kvAgain.get('mail', { pk: 'p', sk: 's' }))?.v, 1);
    await kvAgain.close();
  });
});

describe('EmbeddedBlob sharing one database', () => {
  it('two connections and the KV on one file see each other’s blobs', async () => {
    const at = dataDir();
    const kv = new SqliteKv(at.database);
    const a = open(undefined, at).store;
    const b = open(undefined, at).store;
    await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const store = i % 2 === 0 ? a : b;
        await store.put(`c/${String(i).padStart(2, '0')}`, Buffer.from(`body ${i}`), Buffer.byteLength(`body ${i}`));
        await kv.put('mail', { pk: 'c', sk: String(i) });
      }),
    );
    for (let i = 0; i < 40; i++) assert.equal(await text(i % 2 === 0 ? b : a, `c/${String(i).padStart(2, '0')}`), `body ${i}`);
    assert.equal((await listAll(a, 'c/', 7)).entries.length, 40);
    assert.equal((await kv.query('mail', { pk: 'c' })).items.length, 40);
    await a.close();
    await b.close();
    await kv.close();
  });

  it('two processes putting at once lose nothing', async () => {
    const at = dataDir();
    const worker = fileURLToPath(new URL('./embedded-blob-worker.ts', import.meta.url));
    const count = 150;
    const results = await Promise.all(
      ['p1', 'p2'].map((name) => run(process.execPath, ['--import', 'tsx', worker, at.database, at.root, name, String(count)], { timeout: 120_000 })),
    );
    for (const r of results) assert.equal(JSON.parse(r.stdout).written, count);
    const { store } = open(undefined, at);
    const entries = (await listAll(store, 'w/', 100)).entries;
    assert.equal(entries.length, 2 * count);
    assert.equal(await text(store, 'w/p1/0007'), 'p1 message 7'.padEnd(64 + 7, '.'));
    assert.equal((await store.head('w/p2/0149'))?.size, 64 + 149);
    await store.close();
  });
});
