// Cold items written before issue #8 keep their decoded text (`tz`; new ones keep none, cold-item.ts): `message.meta`
// answers such an item with its text, but FETCH ENVELOPE / BODYSTRUCTURE and header SEARCH never read it. The items
// are rewritten here in that older shape. In one process (the inline invoker without its JSON wire form, as `stratus serve` runs
// it) the text is inflated on its first read, once; over JSON it is a plain string as before. Counted: calls of
// zlib's inflateRawSync without a preset dictionary (the builtin's ESM exports synced after patching, so the mail
// store's import sees the count).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import type * as Zlib from 'node:zlib';
import { Readable } from 'node:stream';
import { backends, type TestBackend } from '../backends.js';
import { addUser } from '../../src/mailstore/directory.js';
import { InlineInvoker } from '../../src/mailstore/invoker.js';
import type { Envelope, Operation } from '../../src/mailstore/api.js';
import type { MessageIndex } from '../../src/mime/types.js';
import { keys } from '../../src/mailstore/keys.js';
import { coldParts } from '../../src/mailstore/messages.js';
import type { EmailId } from '../../src/mailstore/ids.js';

const zlib = createRequire(import.meta.url)('node:zlib') as typeof Zlib;

function message(i: number): Buffer {
  return Buffer.from(
    `From: Sender ${i} <s${i}@example.org>\r\nTo: alice@example.com\r\nSubject: Message ${i}\r\n` +
      `Date: Mon, 7 Feb 1994 21:52:25 -0800\r\nMessage-ID: <m${i}@example.org>\r\n\r\nBody of message ${i}, lazyword${i}.\r\n`,
  );
}

function ok<O extends Operation>(envelope: Envelope<O>): Extract<Envelope<O>, { ok: true }>['result'] {
  if (!envelope.ok) assert.fail(`${envelope.error.code}: ${envelope.error.message}`);
  return envelope.result;
}

for (const backend of backends) {
  describe(`message.meta: an older cold item's text inflated on demand (${backend.name})`, () => {
    let b: TestBackend;
    let direct: InlineInvoker;
    let wire: InlineInvoker;
    let token: string;
    let emailIds: string[];
    const original = zlib.inflateRawSync;
    let inflations = 0;

    before(async () => {
      b = await backend.open();
      direct = new InlineInvoker(b.ctx, { wire: false });
      wire = new InlineInvoker(b.ctx);
      await addUser(b.ctx, 'alice@example.com', 'S3cret!');
      token = ok(await direct.invoke('auth.login', { login: 'alice@example.com', password: 'S3cret!' })).token;
      for (let i = 1; i <= 3; i++) {
        const raw = message(i);
        const prepared = ok(await direct.invoke('message.prepareAppend', { token, size: raw.length }));
        await b.blob.put(prepared.blobKey, Readable.from([raw]), raw.length);
        ok(await direct.invoke('message.append', { token, path: 'INBOX', emailId: prepared.emailId, size: raw.length, flags: [], internalDate: Date.UTC(2024, 0, i) }));
      }
      emailIds = ok(await direct.invoke('mailbox.open', { token, path: 'INBOX' })).messages.emailIds;
      for (const [i, emailId] of emailIds.entries()) {
        const stored = await b.kv.get('msgmeta', keys.cold(emailId as EmailId), { consistent: true });
        assert.equal(stored?.tz, undefined, 'a new cold item keeps no text');
        const { text } = coldParts(message(i + 1));
        await b.kv.put('msgmeta', { ...stored!, tz: zlib.deflateRawSync(Buffer.from(text, 'utf8')) });
      }
      // Text inflations only: the index itself may be stored deflated with a preset dictionary (cold-item.ts).
      (zlib as { inflateRawSync: typeof original }).inflateRawSync = ((...args: Parameters<typeof original>) => {
        if ((args[1] as { dictionary?: unknown } | undefined)?.dictionary === undefined) inflations++;
        return original(...args);
      }) as typeof original;
      syncBuiltinESMExports();
    });
    after(async () => {
      (zlib as { inflateRawSync: typeof original }).inflateRawSync = original;
      syncBuiltinESMExports();
      await b.close();
    });

    it('inflates nothing for an answer whose text is never read, and each text once when it is', async () => {
      inflations = 0;
      const { items } = ok(await direct.invoke('message.meta', { token, emailIds }));
      const indexes = emailIds.map((e) => items[e] as MessageIndex);
      assert.equal(indexes.length, 3);
      // What FETCH ENVELOPE, BODYSTRUCTURE and header SEARCH read.
      assert.deepEqual(
        indexes.map((x) => x.env.subject),
        ['Message 1', 'Message 2', 'Message 3'],
      );
      assert.ok(indexes.every((x) => x.root.type === 'text' && x.hdr.subject !== null));
      assert.equal(inflations, 0, 'no text inflated before it is read');
      assert.match(indexes[1]!.text, /lazyword2/);
      assert.match(indexes[1]!.text, /lazyword2/);
      assert.equal(inflations, 1, "one message's text, inflated once");
    });

    it('gives the same plain answer as the JSON wire form (text included)', async () => {
      const lazy = ok(await direct.invoke('message.meta', { token, emailIds }));
      const viaJson = ok(await wire.invoke('message.meta', { token, emailIds }));
      assert.equal(typeof viaJson.items[emailIds[0]!]!.text, 'string');
      assert.match(viaJson.items[emailIds[2]!]!.text, /lazyword3/);
      assert.deepStrictEqual(JSON.parse(JSON.stringify(lazy)), viaJson);
      assert.deepStrictEqual(lazy, viaJson);
      // Spreads and structured clones (function threads) see the text as a plain string too.
      assert.match(structuredClone(lazy.items[emailIds[0]!]!).text, /lazyword1/);
      assert.match({ ...lazy.items[emailIds[1]!]! }.text, /lazyword2/);
    });
  });
}
