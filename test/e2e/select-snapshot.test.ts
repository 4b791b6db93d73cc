// SELECT from the frontend's mailbox snapshot (src/mailstore/mailbox-cache.ts, `mailbox.reopen`): a mailbox this
// process has seen is loaded from its snapshot plus the change log after it — no read of every hot item — and the
// client sees exactly what a full load would show, whatever happened in between (storage-design §C5, §D2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CallMeter } from '../../src/storage/metered.js';
import { startFixture, type Fixture } from './fixture.js';
import { RawClient } from './raw-client.js';
import { simpleMessage } from './sample-messages.js';

async function session(fx: Fixture): Promise<RawClient> {
  const raw = await RawClient.connect(fx.port);
  assert.match(await raw.command('L', `LOGIN ${fx.user} "${fx.password}"`), /L OK/);
  return raw;
}

async function append(raw: RawClient, mailbox: string, subject: string): Promise<void> {
  const m = simpleMessage({ subject });
  assert.match(await raw.command('A', `APPEND ${mailbox} {${Buffer.byteLength(m)}+}\r\n${m}`), /A OK/);
}

/** UID and FLAGS of every message, in order, as `uid:flags` strings (\Recent left out: one session alone has it). */
async function state(raw: RawClient): Promise<string[]> {
  const text = await raw.command('F', 'FETCH 1:* (UID FLAGS)');
  return [...text.matchAll(/\* \d+ FETCH \((?:UID (\d+) FLAGS \(([^)]*)\)|FLAGS \(([^)]*)\) UID (\d+))\)/g)].map(
    (m) => `${m[1] ?? m[4]}:${(m[2] ?? m[3] ?? '').split(' ').filter((f) => f !== '' && f !== '\\Recent').join(' ')}`,
  );
}

async function selectCounting(fx: Fixture, raw: RawClient, mailbox: string): Promise<{ text: string; used: ReturnType<typeof CallMeter.diff> }> {
  const before = fx.meter.snapshot();
  const text = await raw.command('S', `SELECT ${mailbox}`);
  return { text, used: CallMeter.diff(fx.meter.snapshot(), before) };
}

test('a re-SELECT reads no hot items, and shows exactly the changes made since, watched or not', async () => {
  const fx = await startFixture();
  try {
    const writer = await session(fx);
    for (let i = 1; i <= 5; i++) await append(writer, 'INBOX', `m${i}`);

    // The first SELECT in this process loads every hot item (a query of the mailbox's items).
    const a = await session(fx);
    const first = await selectCounting(fx, a, 'INBOX');
    assert.match(first.text, /\* 5 EXISTS/);
    assert.ok((first.used.byOp['kv.query'] ?? 0) >= 1, JSON.stringify(first.used.byOp));

    // Unchanged since: a name read and a META read, no query at all.
    const b = await session(fx);
    const second = await selectCounting(fx, b, 'INBOX');
    assert.match(second.text, /\* 5 EXISTS/);
    assert.equal(second.used.byOp['kv.query'], undefined, JSON.stringify(second.used.byOp));
    assert.deepEqual(await state(b), await state(a));

    // Changes while watched (a and b have INBOX selected): flag 2, expunge 3, add one.
    assert.match(await writer.command('W1', 'SELECT INBOX'), /W1 OK/);
    assert.match(await writer.command('W2', 'UID STORE 2 +FLAGS (\\Flagged)'), /W2 OK/);
    assert.match(await writer.command('W3', 'UID STORE 3 +FLAGS (\\Deleted)'), /W3 OK/);
    assert.match(await writer.command('W4', 'EXPUNGE'), /W4 OK/);
    await append(writer, 'INBOX', 'm6');
    const c = await session(fx);
    const third = await selectCounting(fx, c, 'INBOX');
    assert.match(third.text, /\* 5 EXISTS/);
    assert.deepEqual(await state(c), ['1:', '2:\\Flagged', '4:', '5:', '6:']);
    assert.ok((third.used.byOp['kv.query'] ?? 0) <= 1, 'at most the log tail');

    // Nobody watches INBOX any more: the snapshot goes stale, and the next SELECT catches up from the log.
    for (const s of [a, b, c]) assert.match(await s.command('U', 'UNSELECT'), /U OK/);
    assert.match(await writer.command('W5', 'UNSELECT'), /W5 OK/);
    assert.match(await writer.command('W6', 'SELECT INBOX'), /W6 OK/);
    assert.match(await writer.command('W7', 'UID STORE 1 +FLAGS (\\Seen \\Deleted)'), /W7 OK/);
    assert.match(await writer.command('W8', 'UID EXPUNGE 1'), /W8 OK/);
    assert.match(await writer.command('W9', 'UNSELECT'), /W9 OK/);
    await append(writer, 'INBOX', 'm7');
    const d = await session(fx);
    const fourth = await selectCounting(fx, d, 'INBOX');
    assert.match(fourth.text, /\* 5 EXISTS/);
    assert.deepEqual(await state(d), ['2:\\Flagged', '4:', '5:', '6:', '7:']);

    for (const s of [writer, a, b, c, d]) s.close();
  } finally {
    await fx.close();
  }
});

test('a path that names another mailbox now is loaded in full, never from the old snapshot', async () => {
  const fx = await startFixture();
  try {
    const raw = await session(fx);
    assert.match(await raw.command('C', 'CREATE Work'), /C OK/);
    await append(raw, 'Work', 'old work');
    assert.match((await selectCounting(fx, raw, 'Work')).text, /\* 1 EXISTS/);
    assert.match(await raw.command('U', 'UNSELECT'), /U OK/);
    assert.match(await raw.command('R', 'RENAME Work Old'), /R OK/);
    assert.match(await raw.command('C2', 'CREATE Work'), /C2 OK/);
    const again = await selectCounting(fx, raw, 'Work');
    assert.match(again.text, /\* 0 EXISTS/);
    assert.match(await raw.command('U2', 'UNSELECT'), /U2 OK/);
    assert.match((await selectCounting(fx, raw, 'Old')).text, /\* 1 EXISTS/);
    raw.close();
  } finally {
    await fx.close();
  }
});
