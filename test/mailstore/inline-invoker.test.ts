// The inline invoker's two forms give the same answers (src/mailstore/invoker.ts): `stratus serve` passes requests
// and responses as objects (wire: false), tests and Lambda pass them through JSON. A response that does not survive
// JSON unchanged (a Buffer, a Date, a typed array, an undefined field) would make the two deployments differ, so
// every answer of the direct form is checked against its own JSON round trip, and reads are compared across forms.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { sqliteBackend, type TestBackend } from '../backends.js';
import { addUser } from '../../src/mailstore/directory.js';
import { InlineInvoker } from '../../src/mailstore/invoker.js';
import type { Envelope, Operation, RequestOf } from '../../src/mailstore/api.js';

function message(i: number): Buffer {
  return Buffer.from(
    `From: Sender ${i} <s${i}@example.org>\r\nTo: alice@example.com\r\nSubject: Message ${i}\r\n` +
      `Date: Mon, 7 Feb 1994 21:52:25 -0800\r\nMessage-ID: <m${i}@example.org>\r\n\r\nBody of message ${i}, word${i}.\r\n`,
  );
}

describe('inline invoker: direct and wire forms', () => {
  let b: TestBackend;
  let direct: InlineInvoker;
  let wire: InlineInvoker;
  let token: string;

  /** One call through the direct form; its answer must be exactly what JSON would have carried. */
  async function call<O extends Operation>(op: O, request: RequestOf<O>): Promise<Envelope<O>> {
    const sent = JSON.stringify(request);
    const envelope = await direct.invoke(op, request);
    assert.deepStrictEqual(envelope, JSON.parse(JSON.stringify(envelope)), `${op}: the answer does not survive JSON`);
    assert.equal(JSON.stringify(request), sent, `${op}: the handler changed the caller's request`);
    return envelope;
  }

  /** A read through both forms on the same state: the same answer. */
  async function same<O extends Operation>(op: O, request: RequestOf<O>): Promise<Envelope<O>> {
    const a = await call(op, request);
    assert.deepStrictEqual(await wire.invoke(op, request), a, `${op}: the forms differ`);
    return a;
  }

  function ok<O extends Operation>(envelope: Envelope<O>): Extract<Envelope<O>, { ok: true }>['result'] {
    if (!envelope.ok) assert.fail(`${envelope.error.code}: ${envelope.error.message}`);
    return envelope.result;
  }

  before(async () => {
    b = await sqliteBackend.open();
    direct = new InlineInvoker(b.ctx, { wire: false });
    wire = new InlineInvoker(b.ctx);
    await addUser(b.ctx, 'alice@example.com', 'S3cret!');
    token = ok(await call('auth.login', { login: 'alice@example.com', password: 'S3cret!' })).token;
  });
  after(async () => b.close());

  it('answers writes with plain JSON and reads the same in both forms', async () => {
    const uids: number[] = [];
    for (let i = 1; i <= 3; i++) {
      const raw = message(i);
      const prepared = ok(await call('message.prepareAppend', { token, size: raw.length }));
      await b.blob.put(prepared.blobKey, Readable.from([raw]), raw.length);
      const appended = ok(
        await call('message.append', { token, path: 'INBOX', emailId: prepared.emailId, size: raw.length, flags: ['$Work'], internalDate: Date.UTC(2024, 0, i) }),
      );
      uids.push(appended.uid);
    }
    const opened = ok(await same('mailbox.open', { token, path: 'INBOX' }));
    const mailboxId = opened.status.mailboxId;
    assert.deepEqual(opened.messages.uids, uids);
    const stored = ok(await call('message.store', { token, mailboxId, uids: [uids[0]!], mode: 'add', flags: ['\\Seen', 'custom'] }));
    assert.equal(stored.changed.length, 1);
    await same('mailbox.changes', { token, mailboxId, since: 0 });
    await same('mailbox.status', { token, path: 'INBOX' });
    await same('mailbox.list', { token });
    await same('message.meta', { token, emailIds: opened.messages.emailIds });
    assert.ok(ok(await same('message.searchText', { token, mailboxId, keys: [{ kind: 'body', value: 'word2' }] })).uids.length === 1);
    ok(await call('message.copy', { token, mailboxId, uids, to: 'Archive' }));
    ok(await call('message.expunge', { token, mailboxId, uids: [uids[2]!] }));
    await same('mailbox.open', { token, path: 'Archive' });
  });

  it('fails the same way in both forms', async () => {
    const bad = await same('mailbox.open', { token, path: 'No such mailbox' });
    assert.equal(bad.ok, false);
    const forged = await same('mailbox.list', { token: 'not-a-token' });
    assert.deepEqual(forged.ok ? undefined : forged.error.code, 'UNAUTHORIZED');
    // What the request schema refuses is refused in-process too: the direct form validates as well.
    const invalid = await same('message.store', { token, mailboxId: 'x', uids: [-1], mode: 'add', flags: [] });
    assert.deepEqual(invalid.ok ? undefined : invalid.error.code, 'BADREQUEST');
  });
});
