// The cold item's stored form (src/mailstore/cold-item.ts): every index comes back exactly, on both backends, items
// of the earlier map form still read, and the compact form is what makes a cold item cheap to store, write and read
// (DynamoDB charges per byte stored, per KB written, per 4 KB read).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { deflateRawSync } from 'node:zlib';
import { join } from 'node:path';
import { backends, type TestBackend } from '../backends.js';
import { makeCorpus } from '../../bench/corpus.js';
import { indexMessage } from '../../src/mime/index.js';
import type { MessageIndex } from '../../src/mime/types.js';
import { addUser } from '../../src/mailstore/directory.js';
import { InlineInvoker } from '../../src/mailstore/invoker.js';
import { MailStoreClient } from '../../src/mailstore/client.js';
import { coldParts } from '../../src/mailstore/messages.js';
import { ColdItemFormatError, coldIndexWithoutText, coldItem, coldText } from '../../src/mailstore/cold-item.js';
import { keys } from '../../src/mailstore/keys.js';
import { newEmailId, newId, type EmailId, type TenantId, type UserId } from '../../src/mailstore/ids.js';
import { dynamoItemSize } from '../../src/storage/item-size.js';
import type { KvItem } from '../../src/storage/kv.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'mime');

/** What a provider's inbound mail looks like: a Received chain, ARC, DKIM, list headers, text + HTML. */
function providerMessage(i: number): Buffer {
  const sig = 'Zc8pV0lXjG1a0Pq9WlwQ3R4kZb5p6Yw0Vh0vZJc7wH1lOy6h0pKxT7v1c1nXb4m4dHx5mJ8yQm1W3m0bq2oG9F3QHqGJ5rH6bC9dW2hK6fQ0';
  const words = 'the storage latency report meeting digest weekly update cluster region pricing release café'.split(' ');
  const para = (n: number): string => Array.from({ length: n }, (_, k) => words[(k * 7 + i) % words.length]).join(' ');
  const header = [
    `Return-Path: <bounce-${i}@mail.example-news.com>`,
    'Delivered-To: reader@example.com',
    `Received: from mx1.example.com (mx1.example.com [192.0.2.10])\r\n\tby imap.example.com with LMTP id 8Kx3JmVZ${i}\r\n\tfor <reader@example.com>; Sat, 24 Feb 2024 03:12:05 +0000`,
    `Received: from mail-sor-f41.google.com (mail-sor-f41.google.com [209.85.220.41])\r\n\tby mx1.example.com (Postfix) with ESMTPS id 4TheQ51Y${i}\r\n\tfor <reader@example.com>; Sat, 24 Feb 2024 03:12:05 +0000 (UTC)`,
    `ARC-Seal: i=1; a=rsa-sha256; t=1708744324; cv=none; d=google.com; s=arc-20160816;\r\n        b=${sig}${i}`,
    'Authentication-Results: mx1.example.com;\r\n\tdkim=pass (2048-bit key) header.d=example-news.com header.b="AbCdEf12"',
    `DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example-news.com; s=s1;\r\n        h=to:subject:message-id:date:from:mime-version; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;\r\n        b=${sig}`,
    'MIME-Version: 1.0',
    'From: Example News <news@example-news.com>',
    `Date: Fri, 23 Feb 2024 19:12:0${i % 10} -0800`,
    `Message-ID: <digest-${i}@mail.example-news.com>`,
    `Subject: =?UTF-8?Q?Your_weekly_digest_=E2=80=94_issue_${i}?=`,
    'To: reader@example.com',
    `List-Unsubscribe: <https://example-news.com/unsub?u=${i}>, <mailto:unsub-${i}@example-news.com>`,
    'Content-Type: multipart/alternative; boundary="b1"',
  ].join('\r\n');
  const text = Array.from({ length: 6 }, (_, k) => para(40 + k)).join('\r\n\r\n');
  const html = `<html><body>${Array.from({ length: 6 }, (_, k) => `<p style="color:#333">${para(40 + k)}</p>`).join('')}</body></html>`;
  const body = [
    '--b1',
    'Content-Type: text/plain; charset="UTF-8"',
    'Content-Transfer-Encoding: 8bit',
    '',
    text,
    '--b1',
    'Content-Type: text/html; charset="UTF-8"',
    '',
    html,
    '--b1--',
    '',
  ].join('\r\n');
  return Buffer.from(`${header}\r\n\r\n${body}`, 'utf8');
}

function samples(): [name: string, raw: Buffer][] {
  const out: [string, Buffer][] = [];
  for (const [i, m] of makeCorpus(60, 7).entries()) out.push([`corpus ${i}`, m.raw]);
  for (const name of readdirSync(FIXTURES)) if (name.endsWith('.eml')) out.push([name, readFileSync(join(FIXTURES, name))]);
  for (let i = 0; i < 5; i++) out.push([`provider ${i}`, providerMessage(i)]);
  return out;
}

/** The deflated text (`tz`) cold items kept before issue #8 (absent when there is no text). */
function legacyTz(raw: Buffer): Uint8Array | undefined {
  const { text } = coldParts(raw);
  return text.length > 0 ? deflateRawSync(Buffer.from(text, 'utf8'), { level: 1 }) : undefined;
}

/** The cold item as it was stored before cold-item.ts: the index as a map attribute, the text deflated beside it. */
function mapFormItem(emailId: EmailId, owner: UserId, tenant: TenantId, raw: Buffer): KvItem {
  const parts = coldParts(raw);
  const item: KvItem = { ...keys.cold(emailId), owner, tenant, index: { ...parts.index, text: '' } as never };
  const tz = legacyTz(raw);
  if (tz) item.tz = tz;
  return item;
}

describe('cold item encoding', () => {
  it('gives every index back exactly, and the text an older item kept', () => {
    for (const [name, raw] of samples()) {
      const { text, ...index } = indexMessage(raw);
      const parts = coldParts(raw);
      const threaded: MessageIndex = { ...parts.index, thread: `t-${name}`, text: '' };
      const item = coldItem(newEmailId(), newId() as UserId, newId() as TenantId, threaded);
      assert.deepEqual(coldIndexWithoutText(item), { ...index, thread: `t-${name}`, text: '' }, name);
      assert.equal(item.tz, undefined, `${name}: no text stored (issue #8)`);
      assert.equal(coldText(item), null, name);
      assert.equal(item.index, undefined, `${name}: no map attribute`);
      const older = coldItem(newEmailId(), newId() as UserId, newId() as TenantId, threaded, legacyTz(raw));
      assert.deepEqual(coldIndexWithoutText(older), { ...index, thread: `t-${name}`, text: '' }, name);
      assert.equal(coldText(older), text.length > 0 ? text : null, name);
    }
  });

  it('still reads the map form written before it, and the oldest items that kept the text inside the index', () => {
    const raw = providerMessage(1);
    const { text, ...index } = indexMessage(raw);
    const old = mapFormItem(newEmailId(), newId() as UserId, newId() as TenantId, raw);
    assert.deepEqual(coldIndexWithoutText(old), { ...index, text: '' });
    assert.equal(coldText(old), text);
    const oldest: KvItem = { ...keys.cold(newEmailId()), owner: 'u', tenant: 't', index: { ...index, text } as never };
    assert.equal(coldText(oldest), text);
  });

  it('refuses a format it does not know rather than guessing', () => {
    const item = coldItem(newEmailId(), newId() as UserId, newId() as TenantId, { ...indexMessage(providerMessage(2)), text: '' });
    (item.x as Uint8Array)[0] = 9;
    assert.throws(() => coldIndexWithoutText(item), ColdItemFormatError);
  });

  it('stores the index in under a third of the map form’s bytes (DynamoDB item size rules)', () => {
    let mapBytes = 0;
    let compactBytes = 0;
    for (const [, raw] of samples()) {
      const parts = coldParts(raw);
      const index = { ...parts.index, text: '' };
      mapBytes += dynamoItemSize({ index: index as never });
      compactBytes += dynamoItemSize({ x: coldItem(newEmailId(), 'u' as UserId, 't' as TenantId, index).x! });
    }
    assert.ok(compactBytes * 3 < mapBytes, `index: ${compactBytes} B compact vs ${mapBytes} B as a map`);
    // A provider's message (its Received / ARC / DKIM fields all in the header cache): under half the bytes, so its
    // cold put costs fewer WRU (1 per KB).
    const e = newEmailId();
    const raw = providerMessage(3);
    const parts = coldParts(raw);
    const compact = dynamoItemSize(coldItem(e, newId() as UserId, newId() as TenantId, { ...parts.index, text: '' }, legacyTz(raw)));
    const asMap = dynamoItemSize(mapFormItem(e, newId() as UserId, newId() as TenantId, raw));
    assert.ok(compact * 2 < asMap && Math.ceil(compact / 1024) < Math.ceil(asMap / 1024), `provider message: ${compact} B compact vs ${asMap} B as a map`);
  });
});

for (const backend of backends) {
  describe(`cold items on ${backend.name}`, () => {
    let b: TestBackend;
    let client: MailStoreClient;
    let token: string;
    let owner: UserId;
    let tenant: TenantId;

    before(async () => {
      b = await backend.open();
      client = new MailStoreClient(new InlineInvoker(b.ctx), b.blob);
      await addUser(b.ctx, 'cold@example.com', 'S3cret!');
      const login = await client.login('cold@example.com', 'S3cret!');
      token = login.token;
      owner = login.userId as UserId;
      tenant = login.tenantId as TenantId;
    });
    after(async () => b.close());

    it('writes the compact form without text on APPEND and reads every index back through message.meta', async () => {
      const sent = samples().filter((_, i) => i % 4 === 0);
      const ids: string[] = [];
      for (const [, raw] of sent) {
        const emailId = await client.stage(token, raw, raw.length);
        await client.call('message.append', { token, path: 'INBOX', emailId, size: raw.length, flags: [], internalDate: Date.UTC(2024, 0, 2) });
        ids.push(emailId);
      }
      const { items } = await client.call('message.meta', { token, emailIds: ids });
      for (const [i, [name, raw]] of sent.entries()) {
        const got = items[ids[i]!];
        assert.ok(got, `${name}: read back`);
        const { thread, ...rest } = got;
        assert.deepEqual({ ...rest }, { ...indexMessage(raw), text: '' }, name);
        assert.ok(thread === undefined || typeof thread === 'string');
        const stored = await b.kv.get('msgmeta', keys.cold(ids[i] as EmailId), { consistent: true });
        assert.ok(stored?.x instanceof Uint8Array && stored.index === undefined, `${name}: stored compact`);
        assert.equal(stored.tz, undefined, `${name}: no text in the cold item (issue #8)`);
        // The item is the compact index and its keys, nothing else: what it cost with its text, it costs less by it.
        const withText = dynamoItemSize({ ...stored, ...(legacyTz(raw) ? { tz: legacyTz(raw)! } : {}) });
        assert.ok(dynamoItemSize(stored) <= withText, name);
        assert.deepEqual(Object.keys(stored).sort(), ['owner', 'pk', 'sk', 'tenant', 'x'], name);
      }
    });

    it('reads cold items stored in the earlier map form', async () => {
      const raw = providerMessage(4);
      const old = mapFormItem(newEmailId(), owner, tenant, raw);
      const oldest: KvItem = { ...keys.cold(newEmailId()), owner, tenant, index: { ...indexMessage(raw) } as never };
      const noText = Buffer.from('Subject: empty\r\n\r\n');
      const bare = mapFormItem(newEmailId(), owner, tenant, noText);
      await b.kv.put('msgmeta', old);
      await b.kv.put('msgmeta', oldest);
      await b.kv.put('msgmeta', bare);
      const ids = [old, oldest, bare].map((i) => i.pk.slice(2));
      const { items } = await client.call('message.meta', { token, emailIds: ids });
      assert.deepEqual({ ...items[ids[0]!] }, { ...indexMessage(raw) });
      assert.deepEqual({ ...items[ids[1]!] }, { ...indexMessage(raw) });
      assert.deepEqual({ ...items[ids[2]!] }, { ...indexMessage(noText) });
    });
  });
}

