// The seal's two shortcuts (issue #8), on both backends: the last segment is topped up by appending a compressed piece
// to its body as stored (never re-compressed: its bytes are the new blob's), and the text of messages this process
// stored comes from its in-memory cache (search-fresh-docs.ts) instead of a GET of the raw message — with exactly
// the docs the raw messages give. Older (v1) segment bodies still decode, and are re-packed rather than extended.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { deflateRawSync } from 'node:zlib';
import { backends, type TestBackend } from '../backends.js';
import { addUser } from '../../src/mailstore/directory.js';
import { InlineInvoker } from '../../src/mailstore/invoker.js';
import { MailStoreClient } from '../../src/mailstore/client.js';
import type { MailboxId, TenantId, UserId } from '../../src/mailstore/ids.js';
import { blobKeys, keys } from '../../src/mailstore/keys.js';
import { sealMailbox } from '../../src/mailstore/search-seal.js';
import { FRESH_DOC_CHARS, FreshDocCache } from '../../src/mailstore/search-fresh-docs.js';
import {
  decodeSegment,
  directoryFromItem,
  encodeSegment,
  extendSegment,
  foldedSegments,
  readSegment,
  storedDocs,
  storedSegment,
  type SegmentDirectory,
  type SegmentDoc,
} from '../../src/mailstore/search-segments.js';

const PASSWORD = 'extend test';

function message(i: number, word: string): Buffer {
  const body = `body ${word} ${i}\r\nsecond line with "quotes", a \\ backslash and caf\u00e9 ${i}\r\n`;
  return Buffer.from(`From: sender${i}@example.org\r\nSubject: extend ${i}\r\nMessage-ID: <extend.${i}.${word}@example.org>\r\n\r\n${body}`);
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

const doc = (uid: number, text: string | null): SegmentDoc => ({
  uid,
  emailId: `E${uid}`,
  hdr: { from: `a${uid}@example.org`, to: null, cc: null, bcc: null, subject: `s ${uid}`, fields: [['subject', `s ${uid}`]] },
  text,
});

describe('segment bodies', () => {
  it('an extended segment decodes to the old docs and the new ones, texts intact', async () => {
    const first = [doc(1, 'one\nline two'), doc(2, null), doc(3, 'tab\there "q" \\ \u2028 \ud83d\ude00')];
    const more = [doc(4, ''), doc(5, 'five\n')];
    const encoded = await encodeSegment(first);
    const stored = storedSegment(encoded.bytes, encoded.headerBytes);
    const extended = await extendSegment(stored, more);
    assert.ok(extended);
    // The old body's bytes are carried over as they are, not re-compressed.
    assert.deepEqual(extended.bytes.subarray(extended.headerBytes, extended.headerBytes + stored.body.length), stored.body);
    const docs = decodeSegment(extended.bytes.subarray(0, extended.headerBytes), extended.bytes.subarray(extended.headerBytes));
    assert.deepEqual(docs, [...first, ...more]);
  });

  it('a v1 segment (one JSON object, one final deflate block) still decodes and is not extended', async () => {
    const docs = [doc(7, 'seven'), doc(8, null)];
    const header = { v: 1 as const, u: [7, 8], e: ['E7', 'E8'], h: docs.map((d) => [d.hdr.from, d.hdr.to, d.hdr.cc, d.hdr.bcc, d.hdr.subject, d.hdr.fields]) };
    const head = deflateRawSync(Buffer.from(JSON.stringify(header)));
    const body = deflateRawSync(Buffer.from(JSON.stringify({ t: ['seven', null] })));
    assert.deepEqual(decodeSegment(head, body), docs);
    const stored = storedSegment(Buffer.concat([head, body]), head.length);
    assert.deepEqual(storedDocs(stored), docs);
    assert.equal(await extendSegment(stored, [doc(9, 'nine')]), undefined);
  });
});

for (const backend of backends) {
  describe(`seal shortcuts on ${backend.name}`, () => {
    let b: TestBackend;
    let client: MailStoreClient;

    before(async () => {
      b = await backend.open();
      // As the embedded server wires it (src/server/main.ts): seals run where the messages were stored.
      b.ctx.freshDocs = new FreshDocCache(FRESH_DOC_CHARS);
      client = new MailStoreClient(new InlineInvoker(b.ctx), b.blob);
    });
    after(async () => b.close());

    async function newUser(login: string): Promise<{ token: string; tenantId: TenantId; userId: UserId }> {
      await addUser(b.ctx, login, PASSWORD);
      const l = await client.login(login, PASSWORD);
      return { token: l.token, tenantId: l.tenantId as TenantId, userId: l.userId as UserId };
    }

    async function append(token: string, path: string, i: number, word: string): Promise<MailboxId> {
      const raw = message(i, word);
      return (await client.append(token, path, Readable.from([raw]), raw.length, [], Date.now())).mailboxId as MailboxId;
    }

    async function directory(mailboxId: MailboxId): Promise<SegmentDirectory> {
      return directoryFromItem(await b.kv.get('mail', keys.searchDirectory(mailboxId), { consistent: true }));
    }

    const batchGets = (): number => b.meter.snapshot().byOp['kv.batchGet'] ?? 0;

    it('tops up the last segment by appending to its stored body; SEARCH finds old and new messages', async () => {
      const u = await newUser('extend-topup@example.com');
      let box: MailboxId | undefined;
      for (let i = 1; i <= 6; i++) box = await append(u.token, 'INBOX', i, 'alpha');
      await sealMailbox(b.ctx, box!);
      const [first] = (await directory(box!)).segments;
      assert.ok(first);
      const firstBlob = await readAll(await b.blob.get(blobKeys.searchSegment(u.tenantId, u.userId, box!, first.id)));
      for (let i = 7; i <= 9; i++) await append(u.token, 'INBOX', i, 'omega');
      const second = await sealMailbox(b.ctx, box!);
      assert.deepEqual([second.sealed, second.written, second.retired], [3, 1, 1]);
      const dir = await directory(box!);
      assert.equal(dir.segments.length, 1);
      const entry = dir.segments[0]!;
      assert.deepEqual([entry.from, entry.to, entry.docs, dir.upTo], [1, 9, 9, 9]);
      const blob = await readAll(await b.blob.get(blobKeys.searchSegment(u.tenantId, u.userId, box!, entry.id)));
      const oldBody = firstBlob.subarray(first.headerBytes);
      assert.deepEqual(blob.subarray(entry.headerBytes, entry.headerBytes + oldBody.length), oldBody, 'old body carried over');
      const docs = await readSegment(b.ctx, u, box!, entry, true);
      assert.deepEqual(docs.map((d) => d.uid), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
      for (const d of docs) assert.match(d.text ?? '', new RegExp(`body (alpha|omega) ${d.uid}\\nsecond line with "quotes", a \\\\ backslash and café ${d.uid}\\n`));
      for (const cold of [false, true]) {
        if (cold) foldedSegments.clear(); // the seal left the segment folded in this process: read it from the store
        const search = async (value: string) =>
          (await client.call('message.searchText', { token: u.token, mailboxId: box!, keys: [{ kind: 'body', value }] })).uids[0];
        assert.deepEqual(await search('alpha'), [1, 2, 3, 4, 5, 6]);
        assert.deepEqual(await search('omega'), [7, 8, 9]);
        assert.deepEqual(await search('CAFÉ 8'), [8]);
        assert.deepEqual(await search('"quotes", a \\ back'), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
      }
    });

    it('seals what this process stored without a read, derives the rest from the raw messages, same docs', async () => {
      const u = await newUser('extend-cache@example.com');
      let cached: MailboxId | undefined;
      let read: MailboxId | undefined;
      await client.call('mailbox.create', { token: u.token, path: 'Other' });
      for (let i = 1; i <= 5; i++) cached = await append(u.token, 'INBOX', i, 'same');
      for (let i = 1; i <= 5; i++) read = await append(u.token, 'Other', i, 'same');
      const blobGets = (): number => b.meter.snapshot().byOp['blob.get'] ?? 0;
      let before = [batchGets(), blobGets()];
      await sealMailbox(b.ctx, cached!);
      assert.deepEqual([batchGets() - before[0]!, blobGets() - before[1]!], [0, 0], 'no read for messages stored by this process');
      b.ctx.freshDocs!.clear(); // as another process would: the seal reads the raw messages (cold items hold no text)
      before = [batchGets(), blobGets()];
      await sealMailbox(b.ctx, read!);
      assert.deepEqual([batchGets() - before[0]!, blobGets() - before[1]!], [0, 5], 'one GET per message, no cold item read');
      const docsOf = async (box: MailboxId) => {
        const [entry] = (await directory(box)).segments;
        return (await readSegment(b.ctx, u, box, entry!, true)).map(({ uid, hdr, text }) => ({ uid, hdr, text }));
      };
      assert.deepEqual(await docsOf(cached!), await docsOf(read!));
    });
  });
}
