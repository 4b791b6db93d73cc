// `stratus fsck` (src/mailstore/fsck.ts) on both backends: a healthy store has no violations; each kind of damage
// is found; --repair fixes counters, usage, cold items and orphaned bodies and nothing else.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { backends, type TestBackend } from '../backends.js';
import { addUser } from '../../src/mailstore/directory.js';
import { InlineInvoker } from '../../src/mailstore/invoker.js';
import { MailStoreClient } from '../../src/mailstore/client.js';
import { newEmailId, type EmailId, type TenantId, type UserId } from '../../src/mailstore/ids.js';
import { blobKeys, keys } from '../../src/mailstore/keys.js';
import { fsck, formatFsckReport, type FsckReport } from '../../src/mailstore/fsck.js';
import { queryAll } from '../../src/mailstore/query-all.js';

const kinds = (r: FsckReport) => [...new Set(r.violations.map((v) => v.kind))].sort();

for (const backend of backends) {
  describe(`fsck on ${backend.name}`, () => {
    let b: TestBackend;
    let client: MailStoreClient;
    let token: string;
    let tenantId: TenantId;
    let userId: UserId;
    const login = 'fsck@example.com';
    // Unreferenced bodies count as orphans at once (grace 0, the clock a little ahead of S3's second precision).
    const options = () => ({ graceMs: 0, now: Date.now() + 5000 });

    before(async () => {
      b = await backend.open();
      client = new MailStoreClient(new InlineInvoker(b.ctx), b.blob);
      await addUser(b.ctx, login, 'pw');
      const l = await client.login(login, 'pw');
      token = l.token;
      tenantId = l.tenantId as TenantId;
      userId = l.userId as UserId;
    });
    after(async () => b.close());

    const append = (path: string, text: string) =>
      client.append(token, path, Readable.from([Buffer.from(text)]), Buffer.byteLength(text), [], Date.now());

    it('finds nothing wrong in a store written through the mail store', async () => {
      for (let i = 0; i < 5; i++) await append('INBOX', `Subject: m${i}\r\n\r\nbody ${i}\r\n`);
      await append('Sent', 'Subject: sent\r\n\r\nsent\r\n');
      const inbox = (await client.call('mailbox.open', { token, path: 'INBOX' })).status.mailboxId;
      await client.call('message.copy', { token, mailboxId: inbox, uids: [1, 2], to: 'Archive' });
      await client.call('message.store', { token, mailboxId: inbox, uids: [3], mode: 'add', flags: ['\\Seen', '\\Deleted'] });
      await client.call('message.expunge', { token, mailboxId: inbox, uids: [3] });
      // UID 3's body is now referenced by nothing, but younger than the default grace period: not an orphan yet.
      const report = await fsck(b.ctx, { user: login });
      assert.deepEqual(report.violations, []);
      assert.deepEqual([report.users, report.mailboxes, report.messages], [1, 6, 7]);
      assert.match(formatFsckReport(report), /1 users, 6 mailboxes, 7 messages: no violations/);
    });

    it('reports each kind of damage, and --repair fixes what is safe to fix', async () => {
      const inbox = await client.call('mailbox.open', { token, path: 'INBOX' });
      const archive = await client.call('mailbox.open', { token, path: 'Archive' });
      const sent = await client.call('mailbox.open', { token, path: 'Sent' });
      const inboxId = inbox.status.mailboxId as never;
      const archiveId = archive.status.mailboxId as never;
      // I4: a counter off by one; I5: usage off; a cold item lost; a body referenced by nothing.
      await b.kv.update('mail', keys.mailbox(inboxId), { add: { messages: 1, bytes: 7 } });
      await b.kv.update('mail', keys.user(userId), { add: { usageBytes: 100 } });
      await b.kv.delete('msgmeta', keys.cold(inbox.messages.emailIds[0] as EmailId));
      const orphan = newEmailId();
      await b.blob.put(blobKeys.message(tenantId, userId, orphan), Buffer.from('Subject: x\r\n\r\n'), 14);
      // Not repairable: a gap in the log, a message newer than its mailbox, a body lost.
      await b.kv.delete('mail', keys.log(archiveId, 2 as never));
      await b.kv.update('mail', keys.message(archiveId, archive.messages.uids[0] as never), { set: { m: 10_000 } });
      await b.blob.delete(blobKeys.message(tenantId, userId, sent.messages.emailIds[0] as EmailId));

      const found = await fsck(b.ctx, { tenant: tenantId }, options());
      assert.deepEqual(kinds(found), ['counters', 'log-gap', 'missing-blob', 'missing-cold', 'modseq-ahead', 'orphan-blob', 'usage']);
      const orphans = found.violations.filter((v) => v.kind === 'orphan-blob');
      // The expunged message of the first test and the planted body.
      assert.equal(orphans.length, 2);
      assert.ok(orphans.some((v) => v.detail.includes(orphan)));
      assert.equal(found.violations.find((v) => v.kind === 'counters')?.mailbox, 'INBOX');
      assert.ok(await b.blob.head(blobKeys.message(tenantId, userId, orphan)), 'a check alone deletes nothing');

      const repaired = await fsck(b.ctx, { user: login }, { ...options(), repair: true });
      for (const v of repaired.violations) {
        assert.equal(v.repaired === true, ['counters', 'usage', 'missing-cold', 'orphan-blob'].includes(v.kind), `${v.kind}: ${v.detail}`);
      }
      assert.equal(await b.blob.head(blobKeys.message(tenantId, userId, orphan)), undefined, 'the orphan is gone');
      const after = await fsck(b.ctx, { all: true }, options());
      assert.deepEqual(kinds(after), ['log-gap', 'missing-blob', 'modseq-ahead']);
      const status = await client.call('mailbox.status', { token, path: 'INBOX' });
      assert.equal(status.messages, inbox.messages.uids.length, 'the counter is right again');
      const meta = await client.call('message.meta', { token, emailIds: [inbox.messages.emailIds[0]!] });
      assert.ok(meta.items[inbox.messages.emailIds[0]!], 'the cold item was indexed again from the body');
    });

    it('takes a mailbox\'s \\Recent item (M#<id>/RECENT) as valid, and DELETE removes it with the mailbox', async () => {
      const who = 'recent@example.com';
      await addUser(b.ctx, who, 'pw');
      const t = (await client.login(who, 'pw')).token;
      await client.call('mailbox.create', { token: t, path: 'Scratch' });
      const raw = 'Subject: r\r\n\r\nrecent\r\n';
      await client.append(t, 'Scratch', Readable.from([Buffer.from(raw)]), raw.length, [], Date.now());
      const scratch = (await client.call('mailbox.open', { token: t, path: 'Scratch' })).status.mailboxId;
      assert.deepEqual(await client.call('mailbox.claimRecent', { token: t, mailboxId: scratch, upTo: 2 }), { from: 1, to: 2 });
      const rest = async () => (await queryAll(b.ctx, `M#${scratch}`, '')).map((i) => i.sk).filter((sk) => sk !== 'META');
      assert.ok((await rest()).includes('RECENT'));
      assert.deepEqual((await fsck(b.ctx, { user: who })).violations, []);
      await client.call('mailbox.delete', { token: t, path: 'Scratch' });
      assert.deepEqual(await rest(), [], 'nothing of the mailbox is left but its META tombstone');
      assert.deepEqual((await fsck(b.ctx, { user: who })).violations, []);
    });
  });
}
