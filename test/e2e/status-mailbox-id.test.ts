// STATUS with the process's mailbox-id hint (src/imap/session/mailbox-id-hints.ts, mailboxes.ts statusByKnownId):
// a repeated STATUS of a path reads META alone (one KV call instead of two), and a hint made stale by another
// session's RENAME, DELETE or CREATE — nothing invalidates the hints, so this is exactly what another process's
// change looks like — never answers with the wrong mailbox: the store checks META's path, owner and state.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CallMeter } from '../../src/storage/metered.js';
import { addUser } from '../../src/mailstore/directory.js';
import { mailboxStatus } from '../../src/mailstore/mailboxes.js';
import type { MailboxId, UserId } from '../../src/mailstore/ids.js';
import { keys } from '../../src/mailstore/keys.js';
import { startFixture, type Fixture } from './fixture.js';
import { RawClient } from './raw-client.js';
import { simpleMessage } from './sample-messages.js';

async function session(fx: Fixture): Promise<RawClient> {
  const raw = await RawClient.connect(fx.port);
  assert.match(await raw.command('L', `LOGIN ${fx.user} "${fx.password}"`), /L OK/);
  return raw;
}

interface Seen {
  text: string;
  messages: number | undefined;
  mailboxId: string | undefined;
  kv: number;
  byOp: Record<string, number>;
}

async function status(fx: Fixture, raw: RawClient, path: string): Promise<Seen> {
  const before = fx.meter.snapshot();
  const text = await raw.command('S', `STATUS ${path} (MESSAGES UIDNEXT MAILBOXID)`);
  const used = CallMeter.diff(fx.meter.snapshot(), before);
  return {
    text,
    messages: /MESSAGES (\d+)/.test(text) ? Number(/MESSAGES (\d+)/.exec(text)![1]) : undefined,
    mailboxId: /MAILBOXID \(([^)]+)\)/.exec(text)?.[1],
    kv: used.kv,
    byOp: used.byOp,
  };
}

async function append(raw: RawClient, mailbox: string, subject: string): Promise<void> {
  const m = simpleMessage({ subject });
  assert.match(await raw.command('A', `APPEND ${mailbox} {${Buffer.byteLength(m)}+}\r\n${m}`), /A OK/);
}

for (const backend of ['embedded', 'aws'] as const) {
  test(`STATUS reads META alone once the path is known, and a stale hint never names the wrong mailbox (${backend})`, async (t) => {
    if (backend === 'aws' && !process.env.STRATUS_TEST_DYNAMODB_ENDPOINT) return t.skip('run through test/run.mjs for DynamoDB Local');
    // The hints are process-wide and both backends' tests run in this process: names of their own.
    const foo = `Foo-${backend}`;
    const bar = `Bar-${backend}`;
    const fx = await startFixture({ backend });
    try {
      const a = await session(fx);
      const b = await session(fx);
      assert.match(await b.command('C', `CREATE ${foo}`), /C OK/);
      await append(b, foo, 'one');
      await append(b, foo, 'two');

      // First STATUS of the path by this session: session b's APPENDs already taught the process the path's id
      // (the hints are per process and login), so META alone.
      const first = await status(fx, a, foo);
      assert.match(first.text, /S OK/);
      assert.equal(first.messages, 2);
      assert.deepEqual(first.byOp, { 'kv.get': 1 });
      // Again: META alone.
      const again = await status(fx, a, foo);
      assert.equal(again.messages, 2);
      assert.equal(again.mailboxId, first.mailboxId);
      assert.equal(again.kv, 1, JSON.stringify(again.byOp));
      assert.deepEqual(again.byOp, { 'kv.get': 1 });

      // Another session renames Foo away and creates a new, empty Foo: the hint names the renamed mailbox.
      assert.match(await b.command('R', `RENAME ${foo} ${bar}`), /R OK/);
      assert.match(await b.command('C2', `CREATE ${foo}`), /C2 OK/);
      const renamed = await status(fx, a, foo);
      assert.equal(renamed.messages, 0, renamed.text);
      assert.notEqual(renamed.mailboxId, first.mailboxId);
      assert.equal(renamed.kv, 3, `stale META read, then name + META: ${JSON.stringify(renamed.byOp)}`);
      const away = await status(fx, a, bar);
      assert.equal(away.messages, 2);
      assert.equal(away.mailboxId, first.mailboxId);
      assert.equal((await status(fx, a, foo)).kv, 1); // the new Foo is known now

      // Deleted: NONEXISTENT, not the status of the mailbox the hint named.
      assert.match(await b.command('D', `DELETE ${foo}`), /D OK/);
      assert.match((await status(fx, a, foo)).text, /S NO \[NONEXISTENT\]/);

      // Renamed back: the hint names the right mailbox again (META's path is Foo once more).
      assert.match(await b.command('R2', `RENAME ${bar} ${foo}`), /R2 OK/);
      const back = await status(fx, a, foo);
      assert.equal(back.messages, 2);
      assert.equal(back.mailboxId, first.mailboxId);
      assert.match((await status(fx, a, bar)).text, /S NO \[NONEXISTENT\]/);

      // INBOX's RENAME (RFC 3501 §6.3.5) moves the mailbox away and makes a new INBOX under the old name.
      await append(b, 'INBOX', 'in');
      const inbox = await status(fx, a, 'INBOX');
      assert.equal(inbox.messages, 1);
      assert.match(await b.command('R3', `RENAME INBOX Old-${backend}`), /R3 OK/);
      const newInbox = await status(fx, a, 'INBOX');
      assert.equal(newInbox.messages, 0);
      assert.notEqual(newInbox.mailboxId, inbox.mailboxId);

      // The store never takes another user's mailbox id as the answer for a path of the caller's.
      const bob = await addUser(fx.ctx, 'bob@example.com', 'bob password 123');
      const caller = { tenantId: bob.tenantId, userId: bob.userId, login: bob.login, session: 'test' };
      const alice = await fx.ctx.kv.get('mail', keys.login(fx.user), { consistent: true });
      const aliceFoo = await fx.ctx.kv.get('mail', keys.mailboxName(alice!.userId as UserId, foo), { consistent: true });
      const found = await mailboxStatus(fx.ctx, caller, foo, { mailboxId: aliceFoo!.mailboxId as MailboxId }).then(
        (s) => s.mailboxId,
        (err: Error) => err.message,
      );
      assert.match(found, /doesn't exist/);
      await a.command('O', 'LOGOUT');
      await b.command('O', 'LOGOUT');
    } finally {
      await fx.close();
    }
  });
}
