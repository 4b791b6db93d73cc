// The Blob port's behaviour, as every adapter must show it (S3 semantics). Port behaviour only. Every test works
// under its own key prefix, so one store can be shared by all tests and by several runs.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { BlobBytes, BlobListEntry, BlobStore, ByteRange } from '../../src/storage/blob.js';
import { RetryingBlob } from '../../src/storage/retrying.js';
import { BlobNotFoundError } from '../../src/storage/errors.js';

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/** Bytes that differ at every offset, so a wrong range or a reordered chunk shows. */
function pattern(length: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 7 + (i >> 8)) & 0xff;
  return bytes;
}

function chunked(bytes: Buffer, size: number): Readable {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  return Readable.from(chunks, { objectMode: false });
}

async function listAll(store: BlobStore, prefix: string, limit?: number) {
  const pages: BlobListEntry[][] = [];
  let cursor: string | undefined;
  do {
    const page = await store.list(prefix, { cursor, limit });
    pages.push(page.entries);
    cursor = page.cursor;
    assert.ok(pages.length < 1000, 'list paging does not end');
  } while (cursor !== undefined);
  return { pages, entries: pages.flat() };
}

export function blobConformance(name: string, open: () => Promise<BlobStore>): void {
  describe(name, () => {
    let store: BlobStore;
    const run = randomUUID().slice(0, 8);
    let serial = 0;
    /** A key prefix no other test (or earlier run) uses; ends with '/'. */
    const prefix = (label: string): string => `bc-${run}/${label}-${serial++}/`;

    before(async () => {
      store = await open();
    });
    after(async () => {
      await store.close();
    });

    it('puts from a Buffer and gets the same bytes back', async () => {
      const key = `${prefix('buffer')}t/acme/u/alice/m/0001.eml`;
      const body = pattern(70_000);
      await store.put(key, body, body.length);
      assert.ok((await readAll(await store.get(key))).equals(body));
    });

    it('puts from a Uint8Array', async () => {
      const key = `${prefix('u8')}x.bin`;
      const body = new Uint8Array([0, 1, 2, 253, 254, 255]);
      await store.put(key, body, body.length);
      assert.ok((await readAll(await store.get(key))).equals(Buffer.from(body)));
    });

    it('puts a 20 MiB buffer (S3: in parts, above the stand-in\'s 11 MiB request limit) and gets it back whole', async () => {
      const key = `${prefix('big')}t/acme/u/alice/x/big.snap`;
      const body = pattern(20 * 1024 * 1024 + 17);
      await store.put(key, body, body.length);
      assert.equal((await store.head(key))?.size, body.length);
      assert.ok((await readAll(await store.get(key))).equals(body));
      assert.ok((await readAll(await store.get(key, { start: 8 * 1024 * 1024 - 3, end: 8 * 1024 * 1024 + 2 }))).equals(body.subarray(8 * 1024 * 1024 - 3, 8 * 1024 * 1024 + 3)));
    });

    it('puts from a Readable stream of many chunks', async () => {
      const key = `${prefix('stream')}m.eml`;
      const body = pattern(300_001);
      await store.put(key, chunked(body, 16_384), body.length);
      assert.ok((await readAll(await store.get(key))).equals(body));
    });

    it('stores an empty object', async () => {
      const key = `${prefix('empty')}e`;
      await store.put(key, Buffer.alloc(0), 0);
      assert.equal((await readAll(await store.get(key))).length, 0);
      assert.equal((await store.head(key))?.size, 0);
    });

    it('a put replaces the object', async () => {
      const key = `${prefix('replace')}r`;
      await store.put(key, Buffer.from('first version'), 13);
      await store.put(key, Buffer.from('second'), 6);
      assert.equal((await readAll(await store.get(key))).toString(), 'second');
      assert.equal((await store.head(key))?.size, 6);
    });

    it('gets a byte range, inclusive, clamped to the object', async () => {
      const key = `${prefix('range')}r.eml`;
      const body = pattern(10_000);
      await store.put(key, body, body.length);
      assert.ok((await readAll(await store.get(key, { start: 100, end: 199 }))).equals(body.subarray(100, 200)));
      assert.ok((await readAll(await store.get(key, { start: 0, end: 0 }))).equals(body.subarray(0, 1)));
      assert.ok((await readAll(await store.get(key, { start: 9_999, end: 9_999 }))).equals(body.subarray(9_999)));
      assert.ok((await readAll(await store.get(key, { start: 9_000, end: 1_000_000 }))).equals(body.subarray(9_000)));
      assert.ok((await readAll(await store.get(key, { start: 0, end: 9_999 }))).equals(body));
    });

    it('getBytes gives the bytes get streams: whole, ranged, clamped, missing (the store\'s own, else the wrappers\' stream fallback)', async () => {
      // A store without its own getBytes (S3) is read by the wrappers every caller goes through (store.ts), which read
      // its stream whole: that fallback is what such a store answers, so it is what is checked.
      const own = (store as BlobStore & Partial<BlobBytes>).getBytes;
      const getBytes = own !== undefined ? own.bind(store) : (key: string, range?: ByteRange) => new RetryingBlob(store).getBytes(key, range);
      const key = `${prefix('bytes')}b.eml`;
      const body = pattern(10_000);
      await store.put(key, body, body.length);
      assert.ok((await getBytes(key)).equals(body));
      assert.ok((await getBytes(key, { start: 100, end: 199 })).equals(body.subarray(100, 200)));
      assert.ok((await getBytes(key, { start: 9_000, end: 1_000_000 })).equals(body.subarray(9_000)));
      assert.equal((await getBytes(key, { start: 10_000, end: 10_005 })).length, 0);
      await assert.rejects(getBytes(`${prefix('bytes')}missing`), BlobNotFoundError);
      await assert.rejects(getBytes(`${prefix('bytes')}missing`, { start: 0, end: 3 }), BlobNotFoundError);
    });

    it('head gives size and modification time; a missing key gives undefined', async () => {
      const key = `${prefix('head')}h`;
      const before = Date.now();
      await store.put(key, pattern(1234), 1234);
      const head = await store.head(key);
      assert.equal(head?.size, 1234);
      assert.ok(head?.lastModified instanceof Date);
      // Clocks of a remote store may differ a little; a day shows the field is a real time, not 0.
      assert.ok(Math.abs(head.lastModified.getTime() - before) < 86_400_000);
      assert.equal(await store.head(`${prefix('head')}missing`), undefined);
    });

    it('get of a missing key throws BlobNotFoundError', async () => {
      const key = `${prefix('missing')}nothing.eml`;
      await assert.rejects(store.get(key), (error: unknown) => error instanceof BlobNotFoundError && error.key === key);
      await assert.rejects(store.get(key, { start: 0, end: 10 }), BlobNotFoundError);
    });

    it('delete removes the object; deleting a missing key is not an error', async () => {
      const key = `${prefix('delete')}d`;
      await store.put(key, Buffer.from('bye'), 3);
      await store.delete(key);
      assert.equal(await store.head(key), undefined);
      await assert.rejects(store.get(key), BlobNotFoundError);
      await store.delete(key);
      await store.delete(`${prefix('delete')}never/existed`);
      assert.deepEqual((await listAll(store, key)).entries, []);
    });

    it('lists keys in ascending order, a page at a time', async () => {
      const p = prefix('list');
      const keys = Array.from({ length: 25 }, (_, i) => `${p}m/${String(i).padStart(3, '0')}.eml`);
      for (const key of [...keys].reverse()) await store.put(key, Buffer.from(key), Buffer.byteLength(key));
      const { pages, entries } = await listAll(store, p, 10);
      assert.ok(pages.length >= 3, `expected at least 3 pages, got ${pages.length}`);
      assert.equal(pages[0]?.length, 10);
      assert.equal(pages[1]?.length, 10);
      for (const page of pages) assert.ok(page.length <= 10);
      assert.deepEqual(entries.map((e) => e.key), keys);
      for (const entry of entries) {
        assert.equal(entry.size, Buffer.byteLength(entry.key));
        assert.ok(entry.lastModified instanceof Date);
      }
      const whole = await store.list(p);
      assert.deepEqual(whole.entries.map((e) => e.key), keys);
      assert.equal(whole.cursor, undefined);
    });

    it('lists by string prefix, in UTF-8 byte order, and nothing outside the prefix', async () => {
      const p = prefix('prefix');
      const keys = [`${p}a/1`, `${p}a/2`, `${p}a-c`, `${p}ab/1`, `${p}b/1`, `${p}a.x`];
      for (const key of keys) await store.put(key, Buffer.from('x'), 1);
      const sorted = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
      assert.deepEqual((await listAll(store, p)).entries.map((e) => e.key), sorted);
      assert.deepEqual((await listAll(store, `${p}a/`)).entries.map((e) => e.key), [`${p}a/1`, `${p}a/2`]);
      assert.deepEqual((await listAll(store, `${p}a`)).entries.map((e) => e.key), [`${p}a-c`, `${p}a.x`, `${p}a/1`, `${p}a/2`, `${p}ab/1`]);
      assert.deepEqual((await listAll(store, `${p}ab`)).entries.map((e) => e.key), [`${p}ab/1`]);
      assert.deepEqual((await listAll(store, `${p}zzz`)).entries, []);
      assert.deepEqual((await listAll(store, `${prefix('nothing-here')}`)).entries, []);
    });

    it('a stream shorter than the announced length is rejected and leaves nothing', async () => {
      const p = prefix('short');
      const key = `${p}m.eml`;
      await assert.rejects(store.put(key, chunked(pattern(1000), 100), 2000));
      assert.equal(await store.head(key), undefined);
      await assert.rejects(store.get(key), BlobNotFoundError);
      assert.deepEqual((await listAll(store, p)).entries, []);
    });

    it('a stream that fails midway is rejected and leaves nothing', async () => {
      const p = prefix('broken');
      const key = `${p}m.eml`;
      const broken = Readable.from(
        (async function* () {
          yield pattern(4096);
          throw new Error('client went away');
        })(),
      );
      await assert.rejects(store.put(key, broken, 100_000));
      assert.equal(await store.head(key), undefined);
      assert.deepEqual((await listAll(store, p)).entries, []);
    });

    it('a failed replacement keeps the previous object whole', async () => {
      const key = `${prefix('keep')}k`;
      const original = pattern(5000);
      await store.put(key, original, original.length);
      await assert.rejects(store.put(key, chunked(pattern(100), 10), 200));
      assert.ok((await readAll(await store.get(key))).equals(original));
    });
  });
}
