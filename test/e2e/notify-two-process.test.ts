// NOTIFY (RFC 5465) across two `stratus serve` processes on one store, hints through a real redis-server: on the
// embedded SQLite data directory and on DynamoDB Local + the S3 stand-in. A client on A is told, without issuing a
// command, about what a client on B does: `* LIST` for a mailbox created and renamed (the user-level hint), `* STATUS`
// for an APPEND to a mailbox that is not selected (a per-mailbox hint, one status read on A), and EXISTS + FETCH for
// an APPEND to the selected mailbox; `* LIST` for a mailbox another user shares with `anyone` on B (the tenant-level
// hint). The safety poll is far beyond the test's waits: all of it came through hints.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis, type RunningRedis } from '../notify/redis-server.js';
import { startServe, type ServeProcess } from './serve-process.js';
import { addTestUser, dynamoStore, sqliteStore, type SharedStore } from './two-process-stores.js';
import { rawLogin, within, type Frontends } from './two-frontends.js';
import type { RawClient } from './raw-client.js';

const USER = 'notify2@example.com';
const PASSWORD = 'notify two processes';
const PEER = 'notify2-peer@example.com';

async function ok(c: RawClient, tag: string, line: string): Promise<string> {
  const text = await within(c.command(tag, line), `${tag} ${line}`);
  assert.match(text, new RegExp(`${tag} OK[^\\r\\n]*\\r\\n$`), text);
  return text;
}

const nextLine = (c: RawClient, what: string): Promise<string> => within(c.until((t) => t.endsWith('\r\n')), what);

function suite(name: string, prepare: () => Promise<SharedStore>): void {
  describe(`NOTIFY across two frontends on ${name}, hints through Redis`, () => {
    let redis: RunningRedis;
    let a: ServeProcess;
    let b: ServeProcess;
    let f: Frontends;
    let cleanup: () => Promise<void> = async () => undefined;

    before(async () => {
      redis = await startRedis();
      const prepared = await prepare();
      cleanup = prepared.cleanup;
      const env = { ...prepared.env, STRATUS_REDIS_URL: redis.url, STRATUS_MAILBOX_POLL_MS: '3600000' };
      await addTestUser(env, USER, PASSWORD);
      await addTestUser(env, PEER, PASSWORD);
      [a, b] = await Promise.all([startServe(env), startServe(env)]);
      f = { portA: a.imapPort, portB: b.imapPort, user: USER, password: PASSWORD };
    });
    after(async () => {
      await Promise.all([a?.stop(), b?.stop()]);
      await redis?.stop();
      await cleanup();
    });

    it('LIST for CREATE and RENAME on B, STATUS for APPEND elsewhere, EXISTS + FETCH for APPEND to the selected mailbox', async () => {
      const onA = await rawLogin(f, f.portA);
      const onB = await rawLogin(f, f.portB);
      try {
        assert.match(await ok(onA, 'C', 'CAPABILITY'), /\* CAPABILITY [^\r\n]* NOTIFY[ \r]/);
        assert.match(await ok(onA, 'S', 'SELECT INBOX'), /\* 0 EXISTS/);
        await ok(onA, 'N', 'NOTIFY SET (SELECTED (MessageNew (UID FLAGS) MessageExpunge FlagChange)) (PERSONAL (MessageNew MessageExpunge MailboxName))');

        await ok(onB, 'C', 'CREATE Lists');
        assert.equal(await nextLine(onA, 'LIST for CREATE'), '* LIST (\\HasNoChildren) "/" "Lists"\r\n');

        assert.match(await onB.append('A1', 'Lists', 'Subject: one\r\n\r\nbody\r\n'), /A1 OK/);
        assert.equal(await nextLine(onA, 'STATUS for APPEND'), '* STATUS "Lists" (MESSAGES 1 UIDNEXT 2 UNSEEN 1)\r\n');

        assert.match(await onB.append('A2', 'INBOX', 'Subject: two\r\n\r\nbody\r\n'), /A2 OK/);
        const pushed = await within(onA.until((t) => t.includes('FETCH')), 'EXISTS + FETCH');
        assert.equal(pushed, '* 1 EXISTS\r\n* 1 RECENT\r\n* 1 FETCH (UID 1 FLAGS (\\Recent))\r\n');

        await ok(onB, 'R', 'RENAME Lists Feeds');
        assert.equal(await nextLine(onA, 'LIST for RENAME'), '* LIST (\\HasNoChildren) "/" "Feeds" ("OLDNAME" ("Lists"))\r\n');
        // The renamed mailbox is still watched, under its new name.
        assert.match(await onB.append('A3', 'Feeds', 'Subject: three\r\n\r\nbody\r\n'), /A3 OK/);
        assert.equal(await nextLine(onA, 'STATUS after RENAME'), '* STATUS "Feeds" (MESSAGES 2 UIDNEXT 3 UNSEEN 2)\r\n');

        await ok(onA, 'O', 'NOTIFY NONE');
        await ok(onB, 'D', 'DELETE Feeds');
        assert.equal(await ok(onA, 'P', 'NOOP'), 'P OK NOOP completed\r\n');
      } finally {
        onA.close();
        onB.close();
      }
    });

    it('SETACL anyone on B: a NOTIFY session of another user on A gets the LIST (§5.4), through the tenant-level hint', async () => {
      const owner = await rawLogin(f, f.portB);
      const peer = await rawLogin({ ...f, user: PEER }, f.portA);
      try {
        await ok(owner, 'C', 'CREATE Public');
        await ok(peer, 'N', 'NOTIFY SET (SUBTREE "Other Users" (MailboxName))');
        await ok(owner, 'G', 'SETACL Public anyone lr');
        const text = await within(peer.until((t) => t.split('\r\n').length > 2), 'LIST for the grant');
        assert.equal(text, `* LIST (\\HasNoChildren) "/" "Other Users/${USER}/Public"\r\n* LIST (\\NonExistent \\HasChildren) "/" "Other Users/${USER}"\r\n`);
      } finally {
        owner.close();
        peer.close();
      }
    });
  });
}

suite('one SQLite data directory', async () => sqliteStore());

suite('DynamoDB Local + the S3 stand-in', async () => dynamoStore());
