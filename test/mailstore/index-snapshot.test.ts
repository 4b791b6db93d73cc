// Index snapshots (storage-design §C5) on both real backends, with a small threshold (a new snapshot every 50 log
// entries): SELECT after a snapshot is META + pointer (one read) + one snapshot GET + one tail query, and gives the
// same mailbox as the full hot-item load; a commit racing with a snapshot write is not lost; a trimmed log falls
// back to the full load; the GC keeps the current snapshot and drops superseded ones.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { backends, type TestBackend } from '../backends.js';
import { addUser } from '../../src/mailstore/directory.js';
import { InlineInvoker } from '../../src/mailstore/invoker.js';
import { MailStoreClient } from '../../src/mailstore/client.js';
import { MailboxCache } from '../../src/mailstore/mailbox-cache.js';
import type { HotList } from '../../src/mailstore/api.js';
import { HotColumns, packUlid, unpackUlid } from '../../src/mailstore/hot-columns.js';
import { decodeSnapshot, encodeSnapshot, encodeSnapshotV1, envelopeOf, ENVELOPE_BYTES, SnapshotFormatError } from '../../src/mailstore/index-snapshot.js';
import { readPointer, readSnapshotBytes, snapshotWritesSettled, sweepSnapshots } from '../../src/mailstore/snapshots.js';
import { deflateSync } from 'node:zlib';
import { appendHot, emptyHotList } from '../../src/mailstore/mailboxes.js';
import { queryAll } from '../../src/mailstore/query-all.js';
import { blobKeys, keys } from '../../src/mailstore/keys.js';
import { newEmailId, newId, type MailboxId, type TenantId, type UserId } from '../../src/mailstore/ids.js';
import type { BlobStore } from '../../src/storage/blob.js';
import { FLAG_SEEN } from '../../src/mailstore/flags.js';

const raw = (i: number): Buffer =>
  Buffer.from(`From: s${i}@example.org\r\nTo: alice@example.com\r\nSubject: Message ${i}\r\nMessage-ID: <m${i}@example.org>\r\n\r\nBody ${i}.\r\n`);

/** The mailbox as the full hot-item query sees it (what SELECT without a snapshot loads). */
async function fullLoad(b: TestBackend, mailboxId: string): Promise<HotList> {
  const list = emptyHotList();
  for (const item of await queryAll(b.ctx, `M#${mailboxId}`, 'U#')) appendHot(list, item);
  return list;
}

function same(actual: HotList, expected: HotList): void {
  assert.deepEqual(actual.uids, expected.uids, 'UIDs');
  assert.deepEqual(actual.flags, expected.flags, 'flags');
  assert.deepEqual(actual.keywords, expected.keywords, 'keywords');
  assert.deepEqual(actual.modseqs, expected.modseqs, 'MODSEQs');
  assert.deepEqual(actual.sizes, expected.sizes, 'sizes');
  assert.deepEqual(actual.dates, expected.dates, 'internal dates');
  assert.deepEqual(actual.emailIds, expected.emailIds, 'emailIds');
}

describe('index snapshot encoding', () => {
  it('packs ULIDs into 16 bytes and back, and refuses what is not one', () => {
    const out = new Uint8Array(16);
    for (let i = 0; i < 200; i++) {
      const id = newId(Date.now() - i * 997);
      assert.ok(packUlid(id, out, 0));
      assert.equal(unpackUlid(out, 0), id);
    }
    assert.equal(packUlid('not-a-ulid', out, 0), false);
    assert.equal(packUlid('8ZZZZZZZZZZZZZZZZZZZZZZZZZ', out, 0), false); // above 128 bits
  });

  it('round-trips columns, wide values, keyword sets and non-ULID ids', () => {
    const cols = new HotColumns();
    for (let i = 0; i < 300; i++) {
      cols.push({
        uid: 3 * i + 1,
        flags: i % 32,
        keywords: i % 3 === 0 ? ['$Junk', 'work'] : [],
        modseq: i === 299 ? 2 ** 40 : i + 1,
        size: i === 7 ? 5_000_000_000 : 100 + i,
        date: 1.7e12 + i,
        emailId: i === 5 ? 'imported-5' : newEmailId(),
        saveDate: i % 2 ? 1.71e12 : 0,
      });
    }
    const back = decodeSnapshot(encodeSnapshot(cols, 4242));
    assert.equal(back.modseq, 4242);
    same(back.columns.toHotList(), cols.toHotList());
    assert.deepEqual(back.columns.toHotList().saveDates, cols.toHotList().saveDates);
  });
});

/** A mailbox of `n` messages with every kind of column the encoder distinguishes. */
function sampleColumns(n: number, wide = false): HotColumns {
  const cols = new HotColumns();
  for (let i = 0; i < n; i++) {
    cols.push({
      uid: 2 * i + 1,
      flags: i % 32,
      keywords: i % 7 === 0 ? ['$Junk'] : [],
      modseq: wide && i === n - 1 ? 2 ** 40 : i + 1,
      size: 100 + i,
      date: 1.7e12 + i,
      emailId: newId(1.7e12 + i * 1000),
      saveDate: 1.71e12 + i,
    });
  }
  return cols;
}

/** `bytes` as a stream of `size`-byte chunks, as a file or socket delivers a blob. */
const chunked = (bytes: Uint8Array, size: number): Readable => {
  const parts: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) parts.push(Buffer.from(bytes.subarray(at, at + size)));
  return Readable.from(parts);
};

describe('index snapshot format 2 (size envelope) and format 1', () => {
  it('format 2 starts with an envelope naming both lengths; the columns are views into one buffer of that size', () => {
    const cols = sampleColumns(5000, true);
    const bytes = encodeSnapshot(cols, 77);
    const envelope = envelopeOf(bytes);
    assert.ok(envelope, 'an envelope');
    assert.equal(envelope.deflated, bytes.length - ENVELOPE_BYTES);
    const back = decodeSnapshot(bytes);
    assert.equal(back.modseq, 77);
    same(back.columns.toHotList(), cols.toHotList());
    // Inflated straight into one preallocated buffer (the columns' size + 8 spare bytes), no chunks joined.
    const p = back.columns.parts();
    const views = [p.uids, p.flags, p.keywordIds, p.modseqs, p.sizes, p.dates, p.saveDates, p.packedIds!];
    for (const v of views) assert.equal(v.buffer, p.uids.buffer, 'every column shares the inflated buffer');
    assert.equal(p.uids.buffer.byteLength, envelope.inflated + 8);
  });

  it('an empty mailbox and a one-message mailbox round-trip in format 2', () => {
    for (const n of [0, 1]) {
      const cols = sampleColumns(n);
      const back = decodeSnapshot(encodeSnapshot(cols, 9));
      assert.equal(back.columns.length, n);
      same(back.columns.toHotList(), cols.toHotList());
    }
  });

  it('format 1 (a bare zlib stream, as older snapshots are) decodes to the same columns', () => {
    const cols = sampleColumns(3000);
    const old = encodeSnapshotV1(cols, 12);
    assert.equal(envelopeOf(old), undefined);
    const back = decodeSnapshot(old);
    assert.equal(back.modseq, 12);
    same(back.columns.toHotList(), cols.toHotList());
    same(back.columns.toHotList(), decodeSnapshot(encodeSnapshot(cols, 12)).columns.toHotList());
  });

  it('reads either format from a chunked stream into the blob bytes, whatever the chunk boundaries', async () => {
    const cols = sampleColumns(2000);
    for (const bytes of [encodeSnapshot(cols, 3), encodeSnapshotV1(cols, 3)]) {
      for (const size of [1, 5, 23, 24, 25, 4096, bytes.length]) {
        const read = await readSnapshotBytes(chunked(bytes, size));
        assert.ok(Buffer.from(bytes).equals(read), `chunks of ${size}`);
      }
    }
  });

  it('a truncated, overlong or damaged format-2 snapshot is a SnapshotFormatError (the caller falls back)', async () => {
    const bytes = encodeSnapshot(sampleColumns(500), 3);
    await assert.rejects(readSnapshotBytes(chunked(bytes.subarray(0, bytes.length - 10), 100)), SnapshotFormatError);
    await assert.rejects(readSnapshotBytes(chunked(Buffer.concat([bytes, Buffer.from('extra')]), 100)), SnapshotFormatError);
    assert.throws(() => decodeSnapshot(bytes.subarray(0, bytes.length - 10)), SnapshotFormatError);
    const wrongLength = Buffer.from(bytes);
    wrongLength.writeDoubleLE(envelopeOf(bytes)!.inflated - 8, 8);
    assert.throws(() => decodeSnapshot(wrongLength), SnapshotFormatError);
    const damaged = Buffer.from(bytes);
    damaged.fill(0x55, ENVELOPE_BYTES + 10, ENVELOPE_BYTES + 60);
    assert.throws(() => decodeSnapshot(damaged), SnapshotFormatError);
    const future = Buffer.from(bytes);
    future.writeUInt32LE(3, 4);
    assert.throws(() => decodeSnapshot(future), SnapshotFormatError);
    // Not the snapshot magic inside a well-formed envelope.
    const junk = deflateSync(Buffer.alloc(64));
    const head = Buffer.alloc(ENVELOPE_BYTES);
    head.write('STXZ', 0, 'latin1');
    head.writeUInt32LE(2, 4);
    head.writeDoubleLE(64, 8);
    head.writeDoubleLE(junk.length, 16);
    assert.throws(() => decodeSnapshot(Buffer.concat([head, junk])), SnapshotFormatError);
  });
});

for (const backend of backends) {
  describe(`index snapshots on ${backend.name}`, () => {
    let b: TestBackend;
    let client: MailStoreClient;
    let token: string;
    let mailboxId: MailboxId;
    let owner: { tenantId: TenantId; userId: UserId };

    const append = async (i: number, c = client) => c.append(token, 'INBOX', Readable.from([raw(i)]), raw(i).length, [], Date.UTC(2024, 0, 2) + i * 1000);
    const storeSeen = async (uid: number, mode: 'add' | 'remove' = 'add') =>
      client.call('message.store', { token, mailboxId, uids: [uid], mode, flags: ['\\Seen', 'Work'] });

    before(async () => {
      b = await backend.open();
      b.ctx.snapshots = { everyEntries: 50, minMessages: 1 };
      b.ctx.onSnapshotError = (err) => {
        throw err;
      };
      client = new MailStoreClient(new InlineInvoker(b.ctx), b.blob);
      await addUser(b.ctx, 'alice@example.com', 'S3cret!');
      const login = await client.login('alice@example.com', 'S3cret!');
      token = login.token;
      owner = { tenantId: login.tenantId as TenantId, userId: login.userId as UserId };
      for (let i = 1; i <= 20; i++) await append(i);
      const opened = await client.call('mailbox.open', { token, path: 'INBOX' });
      mailboxId = opened.status.mailboxId as MailboxId;
    });
    after(async () => b.close());

    it('writes a first snapshot beside a SELECT of a mailbox that has none', async () => {
      await snapshotWritesSettled();
      const pointer = await readPointer(b.ctx, mailboxId);
      assert.ok(pointer, 'a snapshot pointer');
      const status = await client.call('mailbox.status', { token, path: 'INBOX' });
      assert.equal(pointer.modseq, status.highestModseq);
      assert.ok(pointer.key.startsWith(`${blobKeys.snapshotsPrefix(owner.tenantId, owner.userId)}${mailboxId}/`));
    });

    it('SELECT after a snapshot is one pointer+META read, one snapshot GET and one tail query, and equals the full load', async () => {
      await storeSeen(3);
      await storeSeen(4);
      await client.call('message.expunge', { token, mailboxId, uids: [5] }); // not \Deleted: nothing expunged
      await append(21);
      b.meter.counts = { kv: 0, blob: 0, blobBytesRead: 0, rru: 0, wru: 0, byOp: {} };
      const opened = await client.call('mailbox.open', { token, path: 'INBOX', acceptSnapshot: true });
      assert.ok(opened.snapshot, 'answered from the snapshot');
      assert.equal(opened.messages.uids.length, 0);
      const columns = await client.readIndexSnapshot(opened.snapshot);
      const ops = b.meter.counts.byOp;
      assert.equal(ops['blob.get'], 1, JSON.stringify(ops));
      assert.equal(ops['kv.batchGet'], 1, JSON.stringify(ops));
      assert.equal(ops['kv.query'], 1, `only the log tail, no hot-item page: ${JSON.stringify(ops)}`);
      assert.equal(b.meter.counts.kv, 3, `name + META/pointer + tail: ${JSON.stringify(ops)}`);
      same(columns.toHotList(), await fullLoad(b, mailboxId));
      assert.equal(opened.status.messages, 21);
      // A caller that does not accept snapshots gets the same mailbox as JSON, decoded by the function.
      same((await client.call('mailbox.open', { token, path: 'INBOX' })).messages, await fullLoad(b, mailboxId));
    });

    it('the frontend cache loads a mailbox it does not hold from the snapshot, shared with the view', async () => {
      const cache = new MailboxCache(client, undefined, { pollMs: 0 });
      b.meter.counts = { kv: 0, blob: 0, blobBytesRead: 0, rru: 0, wru: 0, byOp: {} };
      const first = await cache.open('alice', token, 'INBOX');
      assert.equal(b.meter.counts.byOp['blob.get'], 1);
      same(first.columns.toHotList(), await fullLoad(b, mailboxId));
      await storeSeen(6);
      const second = await cache.open('alice', token, 'INBOX');
      // The cache moved forward on a private copy: the first session's columns did not change under it.
      assert.equal(first.columns.flagsAt(5) & FLAG_SEEN, 0);
      assert.notEqual(second.columns.flagsAt(5) & FLAG_SEEN, 0);
      same(second.columns.toHotList(), await fullLoad(b, mailboxId));
      cache.close();
    });

    it('writes a new snapshot once the tail reaches the threshold, and the GC drops only the superseded one', async () => {
      const before = await readPointer(b.ctx, mailboxId);
      assert.ok(before);
      for (let n = 0; n < 26; n++) {
        await storeSeen(7 + (n % 10), 'add');
        await storeSeen(7 + (n % 10), 'remove');
      }
      const opened = await client.call('mailbox.open', { token, path: 'INBOX', acceptSnapshot: true });
      assert.ok(opened.snapshot && opened.snapshot.entries.length >= 50);
      await snapshotWritesSettled();
      const now = await readPointer(b.ctx, mailboxId);
      assert.ok(now && now.modseq === opened.status.highestModseq && now.key !== before.key);
      const again = await client.call('mailbox.open', { token, path: 'INBOX', acceptSnapshot: true });
      assert.equal(again.snapshot?.entries.length, 0);
      same((await client.readIndexSnapshot(again.snapshot!)).toHotList(), await fullLoad(b, mailboxId));
      // Within the grace nothing goes; after it the superseded snapshots go and the current one stays.
      assert.equal(await sweepSnapshots(b.ctx, owner.tenantId, owner.userId, Date.now() - 3_600_000), 0);
      const deleted = await sweepSnapshots(b.ctx, owner.tenantId, owner.userId, Date.now() + 1000);
      assert.ok(deleted >= 1, `superseded snapshots deleted: ${deleted}`);
      const left = await b.blob.list(blobKeys.snapshotsPrefix(owner.tenantId, owner.userId));
      assert.deepEqual(left.entries.map((e) => e.key), [now.key]);
    });

    it('a commit racing with a snapshot write is not lost', async () => {
      // The snapshot blob is being written at MODSEQ m when another session commits m+1.
      const racing = new MailStoreClient(new InlineInvoker({ ...b.ctx }), b.blob);
      let raced = false;
      const blob: BlobStore = Object.create(b.blob) as BlobStore;
      blob.put = async (key, body, length) => {
        if (key.includes('/x/') && !raced) {
          raced = true;
          await append(100, racing);
        }
        return b.blob.put(key, body, length);
      };
      const ctx = { ...b.ctx, blob, snapshots: { everyEntries: 1, minMessages: 1 } };
      const writer = new MailStoreClient(new InlineInvoker(ctx), blob);
      await storeSeen(8);
      await writer.call('mailbox.open', { token, path: 'INBOX', acceptSnapshot: true });
      await snapshotWritesSettled();
      assert.ok(raced, 'the commit ran during the snapshot write');
      const pointer = await readPointer(b.ctx, mailboxId);
      const opened = await client.call('mailbox.open', { token, path: 'INBOX', acceptSnapshot: true });
      assert.ok(opened.snapshot && pointer && opened.snapshot.modseq === pointer.modseq);
      assert.ok(opened.snapshot.entries.some((e) => e.op === 'A'), 'the racing APPEND is in the tail after the snapshot');
      const columns = await client.readIndexSnapshot(opened.snapshot);
      same(columns.toHotList(), await fullLoad(b, mailboxId));
      assert.equal(columns.length, opened.status.messages);
    });

    it('a log trimmed past the snapshot falls back to the full load (and a new snapshot is written)', async () => {
      const pointer = await readPointer(b.ctx, mailboxId);
      assert.ok(pointer);
      await storeSeen(9);
      await storeSeen(10);
      // The log item right after the snapshot is gone (TTL): the tail no longer reaches back.
      await b.kv.delete('mail', keys.log(mailboxId, (pointer.modseq + 1) as never));
      b.meter.counts = { kv: 0, blob: 0, blobBytesRead: 0, rru: 0, wru: 0, byOp: {} };
      const opened = await client.call('mailbox.open', { token, path: 'INBOX', acceptSnapshot: true });
      assert.equal(opened.snapshot, undefined, 'no snapshot offered');
      assert.equal(b.meter.counts.byOp['blob.get'] ?? 0, 0);
      same(opened.messages, await fullLoad(b, mailboxId));
      await snapshotWritesSettled();
      const fresh = await readPointer(b.ctx, mailboxId);
      assert.ok(fresh && fresh.modseq === opened.status.highestModseq);
      const next = await client.call('mailbox.open', { token, path: 'INBOX', acceptSnapshot: true });
      assert.ok(next.snapshot);
      same((await client.readIndexSnapshot(next.snapshot)).toHotList(), await fullLoad(b, mailboxId));
    });

    it('a snapshot written in format 1 (before the size envelope) still opens, with the same calls', async () => {
      const pointer = await readPointer(b.ctx, mailboxId);
      assert.ok(pointer);
      const current = decodeSnapshot(await readSnapshotBytes(await b.blob.get(pointer.key)));
      const old = encodeSnapshotV1(current.columns, current.modseq);
      await b.blob.put(pointer.key, old, old.length);
      await storeSeen(11);
      b.meter.counts = { kv: 0, blob: 0, blobBytesRead: 0, rru: 0, wru: 0, byOp: {} };
      const opened = await client.call('mailbox.open', { token, path: 'INBOX', acceptSnapshot: true });
      assert.ok(opened.snapshot && opened.snapshot.key === pointer.key);
      const columns = await client.readIndexSnapshot(opened.snapshot);
      assert.equal(b.meter.counts.byOp['blob.get'], 1, JSON.stringify(b.meter.counts.byOp));
      assert.equal(b.meter.counts.kv, 3, JSON.stringify(b.meter.counts.byOp));
      assert.equal(b.meter.counts.blobBytesRead, old.length);
      same(columns.toHotList(), await fullLoad(b, mailboxId));
      // A caller that does not accept snapshots: the function decodes the old format too.
      same((await client.call('mailbox.open', { token, path: 'INBOX' })).messages, await fullLoad(b, mailboxId));
    });

    it('a damaged snapshot does not fail SELECT: the frontend cache falls back to the hot items', async () => {
      const pointer = await readPointer(b.ctx, mailboxId);
      assert.ok(pointer);
      const good = await readSnapshotBytes(await b.blob.get(pointer.key));
      const damaged = Buffer.from(good);
      damaged.fill(0x5a, 24); // the first 24 bytes (a format-2 envelope, or a zlib header) survive, the stream does not
      await b.blob.put(pointer.key, damaged, damaged.length);
      try {
        const cache = new MailboxCache(client, undefined, { pollMs: 0 });
        const opened = await cache.open('alice', token, 'INBOX');
        same(opened.columns.toHotList(), await fullLoad(b, mailboxId));
        cache.close();
      } finally {
        await b.blob.put(pointer.key, good, good.length);
      }
    });
  });
}
