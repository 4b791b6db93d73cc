import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture } from './fixture.js';
import { RawClient } from './raw-client.js';

test('list, create, rename, delete, subscribe with imapflow', async () => {
  const fx = await startFixture();
  try {
    const c = await fx.connect();
    const initial = await c.list();
    const byPath = new Map(initial.map((m) => [m.path, m]));
    assert.ok(byPath.has('INBOX'));
    assert.equal(byPath.get('Sent')?.specialUse, '\\Sent');
    assert.equal(byPath.get('Trash')?.specialUse, '\\Trash');
    assert.equal(initial[0]?.delimiter, '/');

    await c.mailboxCreate('Projects/Alpha');
    await c.mailboxCreate(['Projects', 'Beta']);
    const afterCreate = new Map((await c.list()).map((m) => [m.path, m]));
    assert.ok(afterCreate.has('Projects/Alpha'));
    assert.ok(afterCreate.get('Projects')?.flags.has('\\HasChildren'));
    assert.ok(afterCreate.get('Projects/Alpha')?.flags.has('\\HasNoChildren'));

    await c.mailboxRename('Projects/Alpha', 'Projects/Gamma');
    const afterRename = new Map((await c.list()).map((m) => [m.path, m]));
    assert.ok(afterRename.has('Projects/Gamma'));
    assert.ok(!afterRename.has('Projects/Alpha'));

    await c.mailboxSubscribe('Projects/Gamma');
    const subscribed = (await c.list()).filter((m) => m.subscribed).map((m) => m.path);
    assert.ok(subscribed.includes('Projects/Gamma'));
    await c.mailboxUnsubscribe('Projects/Gamma');
    assert.ok(!(await c.list()).filter((m) => m.subscribed).map((m) => m.path).includes('Projects/Gamma'));

    await c.mailboxDelete('Projects/Gamma');
    assert.ok(!(await c.list()).some((m) => m.path === 'Projects/Gamma'));
    await assert.rejects(c.mailboxDelete('Nope'));
    await c.logout();
  } finally {
    await fx.close();
  }
});

test('LIST patterns, the delimiter query, LSUB \\Noselect, STATUS, errors with codes', async () => {
  const fx = await startFixture();
  try {
    const raw = await RawClient.connect(fx.port);
    await raw.command('a', `LOGIN ${fx.user} "${fx.password}"`);
    assert.match(await raw.command('b', 'LIST "" ""'), /\* LIST \(\\Noselect\) "\/" ""\r\nb OK/);
    await raw.command('c', 'CREATE Work/Reports');
    const percent = await raw.command('d', 'LIST "" %');
    assert.match(percent, /\* LIST \([^)]*\) "\/" Work\r\n|\* LIST \([^)]*\) "\/" "Work"\r\n/);
    assert.doesNotMatch(percent, /Work\/Reports/);
    const star = await raw.command('e', 'LIST "" Work*');
    assert.match(star, /Work\/Reports/);
    assert.match(await raw.command('f', 'LIST "" inbox'), /\* LIST \([^)]*\) "\/" "?INBOX"?\r\n/);

    await raw.command('g0', 'CREATE Ghost');
    await raw.command('g', 'SUBSCRIBE Ghost');
    await raw.command('g1', 'DELETE Ghost');
    assert.match(await raw.command('h', 'LSUB "" *'), /\* LSUB \(\\Noselect\) "\/" "?Ghost"?\r\n/);

    assert.match(await raw.command('i', 'STATUS INBOX (MESSAGES UIDNEXT UIDVALIDITY UNSEEN RECENT)'), /\* STATUS "?INBOX"? \(MESSAGES 0 UIDNEXT 1 UIDVALIDITY \d+ UNSEEN 0 RECENT 0\)/);
    assert.match(await raw.command('j', 'CREATE INBOX'), /^j NO \[ALREADYEXISTS\]/m);
    assert.match(await raw.command('k', 'CREATE Work/Reports'), /^k NO \[ALREADYEXISTS\]/m);
    assert.match(await raw.command('l', 'DELETE Missing'), /^l NO \[NONEXISTENT\]/m);
    assert.match(await raw.command('m', 'SELECT Missing'), /^m NO \[NONEXISTENT\]/m);
    assert.match(await raw.command('n', 'STATUS Missing (MESSAGES)'), /^n NO \[NONEXISTENT\]/m);
    raw.close();
  } finally {
    await fx.close();
  }
});
