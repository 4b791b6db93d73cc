// The cold-item cache of IMAP sessions (src/imap/session/meta-cache.ts): shared by the sessions of one user on one
// store client, so a client that logs in again (or a second device) does not read a message's cold item again; never
// shared between users; one per store client.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { sqliteBackend, type TestBackend } from '../../backends.js';
import { addUser } from '../../../src/mailstore/directory.js';
import { InlineInvoker } from '../../../src/mailstore/invoker.js';
import { MailStoreClient } from '../../../src/mailstore/client.js';
import { MetaCache } from '../../../src/imap/session/meta-cache.js';

const PASSWORD = 'meta cache test';
const raw = Buffer.from('From: a@example.com\r\nTo: b@example.com\r\nSubject: cached\r\n\r\nbody\r\n');

describe('MetaCache', () => {
  let b: TestBackend;
  let client: MailStoreClient;
  let emailId: string;
  let alice: { token: string; userId: string };
  let bob: { token: string; userId: string };

  before(async () => {
    b = await sqliteBackend.open();
    client = new MailStoreClient(new InlineInvoker(b.ctx), b.blob);
    await addUser(b.ctx, 'alice@example.com', PASSWORD);
    await addUser(b.ctx, 'bob@example.com', PASSWORD);
    const a = await client.login('alice@example.com', PASSWORD);
    const o = await client.login('bob@example.com', PASSWORD);
    alice = { token: a.token, userId: a.userId };
    bob = { token: o.token, userId: o.userId };
    emailId = await client.stage(alice.token, Readable.from([raw]), raw.length);
    await client.appendStaged(alice.token, 'INBOX', [{ emailId, size: raw.length, flags: [], internalDate: Date.now() }]);
  });
  after(async () => b.close());

  const batchGets = (): number => b.meter.snapshot().byOp['kv.batchGet'] ?? 0;

  it('a second session of the same user finds the cold item without a store read', async () => {
    assert.ok(emailId.length > 0, 'the appended message has an emailId');
    const first = new MetaCache(client, () => alice.token, alice.userId);
    let before = batchGets();
    const got = await first.load([emailId]);
    assert.equal(got.get(emailId)?.env.subject, 'cached');
    assert.equal(batchGets() - before, 1, 'the first session reads the cold item');

    const second = new MetaCache(client, () => alice.token, alice.userId);
    before = batchGets();
    assert.equal((await second.load([emailId])).get(emailId)?.env.subject, 'cached');
    assert.equal(batchGets() - before, 0, 'the next session of that user reads nothing');
  });

  it('another user never gets a cold item from the cache: the store decides, and refuses what bob may not read', async () => {
    // alice's sessions have the item cached (above); bob's lookup still goes to the store, which checks the owner.
    const bobs = new MetaCache(client, () => bob.token, bob.userId);
    const before = batchGets();
    const got = await bobs.load([emailId]);
    assert.equal(batchGets() - before, 1, "bob's session asks the store");
    assert.equal(got.has(emailId), false, "bob has no right to alice's message");
  });

  it('one cache per store client: a session on another client reads again', async () => {
    const other = new MailStoreClient(new InlineInvoker(b.ctx), b.blob);
    const cache = new MetaCache(other, () => alice.token, alice.userId);
    const before = batchGets();
    assert.equal((await cache.load([emailId])).get(emailId)?.env.subject, 'cached');
    assert.equal(batchGets() - before, 1);
  });
});
