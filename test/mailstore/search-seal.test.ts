// Search segments at the mail-store level, on both backends: the seal packs what it should and loses nothing when an
// APPEND, an EXPUNGE or another seal races it (the races are forced through the seal's `beforeSwap` seam); segments
// that are more than half dead are rewritten; the GC sweep keeps every segment a directory names (and retired ones
// within the grace period) and deletes superseded and lost-race ones after it; fsck reports a directory entry whose
// blob is gone, and its repair makes SEARCH fall back to the cold items instead of missing messages.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { backends, type TestBackend } from '../backends.js';
import { addUser } from '../../src/mailstore/directory.js';
import { InlineInvoker } from '../../src/mailstore/invoker.js';
import { MailStoreClient } from '../../src/mailstore/client.js';
import type { MailboxId, TenantId, UserId } from '../../src/mailstore/ids.js';
import { blobKeys, keys } from '../../src/mailstore/keys.js';
import { queryAll } from '../../src/mailstore/query-all.js';
import { sweepUser } from '../../src/mailstore/gc.js';
import { fsck } from '../../src/mailstore/fsck.js';
import { sealMailbox } from '../../src/mailstore/search-seal.js';
import { directoryFromItem, foldedSegments, readSegment, type SegmentDirectory } from '../../src/mailstore/search-segments.js';

const PASSWORD = 'segment test';
const DAY = 24 * 3600 * 1000;

function message(i: number, word: string): Buffer {
  return Buffer.from(`From: sender${i}@example.org\r\nSubject: note ${i}\r\nMessage-ID: <seal.${i}.${word}@example.org>\r\n\r\nbody ${word} ${i}\r\n`);
}

for (const backend of backends) {
  describe(`search segments on ${backend.name}`, () => {
    let b: TestBackend;
    let client: MailStoreClient;

    before(async () => {
      b = await backend.open();
      client = new MailStoreClient(new InlineInvoker(b.ctx), b.blob);
    });
    after(async () => b.close());

    interface User {
      token: string;
      tenantId: TenantId;
      userId: UserId;
      login: string;
    }

    async function newUser(login: string): Promise<User> {
      await addUser(b.ctx, login, PASSWORD);
      const l = await client.login(login, PASSWORD);
      return { token: l.token, tenantId: l.tenantId as TenantId, userId: l.userId as UserId, login };
    }

    async function append(u: User, path: string, i: number, word: string): Promise<{ uid: number; mailboxId: MailboxId }> {
      const raw = message(i, word);
      const done = await client.append(u.token, path, Readable.from([raw]), raw.length, [], Date.now());
      return { uid: done.uid, mailboxId: done.mailboxId as MailboxId };
    }

    async function expunge(u: User, mailboxId: MailboxId, uids: number[]): Promise<void> {
      await client.call('message.store', { token: u.token, mailboxId, uids, mode: 'add', flags: ['\\Deleted'] });
      await client.call('message.expunge', { token: u.token, mailboxId, uids });
    }

    async function directory(mailboxId: MailboxId): Promise<SegmentDirectory> {
      return directoryFromItem(await b.kv.get('mail', keys.searchDirectory(mailboxId), { consistent: true }));
    }

    /** Nothing lost: every live message is in a segment or above `upTo` (where SEARCH reads its cold item). */
    async function assertCovered(u: User, mailboxId: MailboxId): Promise<{ sealed: Set<number>; dir: SegmentDirectory }> {
      const dir = await directory(mailboxId);
      const sealed = new Set<number>();
      for (const entry of dir.segments) {
        for (const doc of await readSegment(b.ctx, u, mailboxId, entry, true)) {
          assert.ok(!sealed.has(doc.uid), `UID ${doc.uid} is in two segments`);
          sealed.add(doc.uid);
          assert.ok(doc.uid >= entry.from && doc.uid <= entry.to && doc.uid <= dir.upTo);
        }
      }
      for (let i = 1; i < dir.segments.length; i++) assert.ok(dir.segments[i]!.from > dir.segments[i - 1]!.to, 'segments in UID order');
      for (const item of await queryAll(b.ctx, `M#${mailboxId}`, 'U#')) {
        const uid = Number(item.sk.slice(2));
        assert.ok(uid > dir.upTo || sealed.has(uid), `live UID ${uid} ≤ upTo ${dir.upTo} but in no segment`);
      }
      return { sealed, dir };
    }

    const search = (u: User, mailboxId: MailboxId, value: string) =>
      client.call('message.searchText', { token: u.token, mailboxId, keys: [{ kind: 'body', value }] });

    it('seals into segments of the given size, merges the small last one, and a second seal is a no-op', async () => {
      const u = await newUser('seal-basic@example.com');
      let box: MailboxId | undefined;
      for (let i = 1; i <= 24; i++) box = (await append(u, 'INBOX', i, 'basic')).mailboxId;
      const first = await sealMailbox(b.ctx, box!, { segmentDocs: 10 });
      assert.deepEqual([first.sealed, first.written, first.upTo, first.lost], [24, 3, 24, false]);
      assert.deepEqual((await directory(box!)).segments.map((s) => s.docs), [10, 10, 4]);
      const again = await sealMailbox(b.ctx, box!, { segmentDocs: 10 });
      assert.deepEqual([again.sealed, again.written], [0, 0]);
      for (let i = 25; i <= 27; i++) await append(u, 'INBOX', i, 'basic');
      const third = await sealMailbox(b.ctx, box!, { segmentDocs: 10 });
      // The 4-message segment is under half full: it is rewritten with the 3 new ones, and retired.
      assert.deepEqual([third.sealed, third.written, third.retired], [3, 1, 1]);
      const { dir, sealed } = await assertCovered(u, box!);
      assert.deepEqual(dir.segments.map((s) => s.docs), [10, 10, 7]);
      assert.equal(sealed.size, 27);
      assert.equal(dir.retired.length, 1);
      const hits = await search(u, box!, 'BASIC 26');
      assert.deepEqual(hits, { upTo: 27, uids: [[26]] });
    });

    it('grows the last segment with each seal until it is full, then starts the next (⌈n/size⌉ segments)', async () => {
      const u = await newUser('seal-grow@example.com');
      let box: MailboxId | undefined;
      const sizes: number[][] = [];
      for (let round = 0; round < 5; round++) {
        for (let i = 1; i <= 4; i++) box = (await append(u, 'INBOX', round * 4 + i, 'grow')).mailboxId;
        await sealMailbox(b.ctx, box!, { segmentDocs: 10 });
        sizes.push((await directory(box!)).segments.map((s) => s.docs));
      }
      assert.deepEqual(sizes, [[4], [8], [10, 2], [10, 6], [10, 10]]);
      await assertCovered(u, box!);
    });

    it('loses nothing when an APPEND and an EXPUNGE commit while a seal runs', async () => {
      const u = await newUser('seal-race@example.com');
      let box: MailboxId | undefined;
      for (let i = 1; i <= 12; i++) box = (await append(u, 'INBOX', i, 'race')).mailboxId;
      let appended = 0;
      const result = await sealMailbox(b.ctx, box!, {
        segmentDocs: 5,
        beforeSwap: async () => {
          appended = (await append(u, 'INBOX', 13, 'late')).uid;
          await expunge(u, box!, [3, 4]);
        },
      });
      assert.equal(result.upTo, 12);
      assert.equal(appended, 13);
      await assertCovered(u, box!);
      // The late message is above the directory's upTo: the store matches it from the tail; the next seal packs it.
      assert.deepEqual(await search(u, box!, 'late 13'), { upTo: 13, uids: [[13]] });
      await sealMailbox(b.ctx, box!, { segmentDocs: 5 });
      assert.deepEqual(await search(u, box!, 'late 13'), { upTo: 13, uids: [[13]] });
      // The expunged ones may stay in a segment (the frontend's view drops them), until a compaction.
      const { sealed } = await assertCovered(u, box!);
      assert.ok(sealed.has(13));
    });

    it('two racing seals: one wins, the other changes nothing, and GC sweeps its blobs after the grace period', async () => {
      const u = await newUser('seal-twice@example.com');
      let box: MailboxId | undefined;
      for (let i = 1; i <= 7; i++) box = (await append(u, 'INBOX', i, 'twice')).mailboxId;
      let inner: Awaited<ReturnType<typeof sealMailbox>> | undefined;
      const outer = await sealMailbox(b.ctx, box!, {
        segmentDocs: 5,
        beforeSwap: async () => {
          inner = await sealMailbox(b.ctx, box!, { segmentDocs: 5 });
        },
      });
      assert.equal(inner!.lost, false);
      assert.equal(outer.lost, true);
      assert.equal(outer.written, 2);
      const { dir } = await assertCovered(u, box!);
      assert.equal(dir.segments.length, 2);
      const prefix = blobKeys.searchSegmentsPrefix(u.tenantId, u.userId);
      const count = async () => (await b.blob.list(prefix)).entries.length;
      assert.equal(await count(), 4);
      const young = await sweepUser(b.ctx, u.tenantId, u.userId);
      assert.deepEqual([young.segments!.referenced, young.segments!.young, young.segments!.deleted.length], [2, 2, 0]);
      const later = await sweepUser(b.ctx, u.tenantId, u.userId, { now: Date.now() + 2 * DAY });
      assert.deepEqual([later.segments!.referenced, later.segments!.deleted.length], [2, 2]);
      assert.equal(await count(), 2);
      await assertCovered(u, box!);
    });

    it('GC keeps live segments and retired ones within the grace period, then sweeps the superseded ones', async () => {
      const u = await newUser('seal-gc@example.com');
      let box: MailboxId | undefined;
      for (let i = 1; i <= 4; i++) box = (await append(u, 'INBOX', i, 'gc')).mailboxId;
      await sealMailbox(b.ctx, box!, { segmentDocs: 10 });
      const firstId = (await directory(box!)).segments[0]!.id;
      for (let i = 5; i <= 6; i++) await append(u, 'INBOX', i, 'gc');
      await sealMailbox(b.ctx, box!, { segmentDocs: 10 }); // rewrites the 4-message segment: the first is retired
      const dir = await directory(box!);
      assert.deepEqual(dir.retired.map((r) => r.id), [firstId]);
      const liveKey = blobKeys.searchSegment(u.tenantId, u.userId, box!, dir.segments[0]!.id);
      const retiredKey = blobKeys.searchSegment(u.tenantId, u.userId, box!, firstId);
      // Within the grace period of the retirement a SEARCH that read the old directory may still read it.
      const soon = await sweepUser(b.ctx, u.tenantId, u.userId, { now: Date.now() + 1000 });
      assert.equal(soon.segments!.referenced, 2);
      assert.ok(await b.blob.head(retiredKey));
      const later = await sweepUser(b.ctx, u.tenantId, u.userId, { now: Date.now() + 2 * DAY });
      assert.deepEqual(later.segments!.deleted, [firstId]);
      assert.equal(await b.blob.head(retiredKey), undefined);
      assert.ok(await b.blob.head(liveKey), 'a segment the directory names is never swept');
      assert.deepEqual(await search(u, box!, 'gc 5'), { upTo: 6, uids: [[5]] });
    });

    it('rewrites segments more than half dead, keeping every live message', async () => {
      const u = await newUser('seal-compact@example.com');
      let box: MailboxId | undefined;
      for (let i = 1; i <= 30; i++) box = (await append(u, 'INBOX', i, 'compact')).mailboxId;
      await sealMailbox(b.ctx, box!, { segmentDocs: 10 });
      const before = await directory(box!);
      assert.equal(before.segments.length, 3);
      await expunge(u, box!, Array.from({ length: 16 }, (_, i) => i + 1)); // segment 1 all dead, segment 2 six dead
      const result = await sealMailbox(b.ctx, box!, { segmentDocs: 10, compact: true });
      assert.equal(result.lost, false);
      const { dir, sealed } = await assertCovered(u, box!);
      assert.deepEqual([...sealed].sort((x, y) => x - y), Array.from({ length: 14 }, (_, i) => i + 17));
      // The dead first and the more-than-half-dead second are merged into one; the third stays as it was.
      assert.deepEqual(dir.segments.map((s) => s.docs), [4, 10]);
      assert.equal(dir.segments[1]!.id, before.segments[2]!.id);
      assert.equal(dir.retired.length, 2);
    });

    it('fsck reports a directory entry whose segment is gone; SEARCH derives its messages from their raw bytes', async () => {
      const u = await newUser('seal-fsck@example.com');
      let box: MailboxId | undefined;
      for (let i = 1; i <= 6; i++) box = (await append(u, 'INBOX', i, 'fsck')).mailboxId;
      await sealMailbox(b.ctx, box!, { segmentDocs: 3 });
      const clean = await fsck(b.ctx, { user: u.login });
      assert.deepEqual(clean.violations.filter((v) => v.kind.includes('segment')), []);
      const dir = await directory(box!);
      await b.blob.delete(blobKeys.searchSegment(u.tenantId, u.userId, box!, dir.segments[1]!.id));
      foldedSegments.clear(); // the seal left its segments decoded in this process: read them from the store again
      // SEARCH never misses messages meanwhile: the lost segment's UIDs are matched like the tail, in UID order.
      const gets = (): number => b.meter.snapshot().byOp['blob.get'] ?? 0;
      b.ctx.freshDocs?.clear();
      const before = gets();
      assert.deepEqual(await search(u, box!, 'fsck'), { upTo: 6, uids: [[1, 2, 3, 4, 5, 6]] });
      assert.ok(gets() - before >= 3, 'the lost segment read (and failed), its three messages from their raw bytes');
      const report = await fsck(b.ctx, { user: u.login });
      const dangling = report.violations.filter((v) => v.kind === 'dangling-segment');
      assert.equal(dangling.length, 1);
      assert.equal(dangling[0]!.repairable, true);
      const repaired = await fsck(b.ctx, { user: u.login }, { repair: true });
      assert.equal(repaired.violations.find((v) => v.kind === 'dangling-segment')?.repaired, true);
      assert.deepEqual(await search(u, box!, 'fsck'), { upTo: 6, uids: [[1, 2, 3, 4, 5, 6]] });
      await sealMailbox(b.ctx, box!, { segmentDocs: 3 });
      assert.deepEqual((await search(u, box!, 'fsck')).uids, [[1, 2, 3, 4, 5, 6]]);
    });

    it('refuses searchText without the "r" right on the mailbox', async () => {
      const owner = await newUser('seal-owner@example.com');
      const other = await newUser('seal-other@example.com');
      const { mailboxId } = await append(owner, 'INBOX', 1, 'private');
      await assert.rejects(search(other, mailboxId, 'private'), /does not exist/);
    });
  });
}
