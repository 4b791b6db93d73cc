import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FetchMessageObject } from 'imapflow';
import { startFixture } from './fixture.js';
import { multipartMessage, simpleMessage } from './sample-messages.js';

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

test('append then fetch: envelope, bodystructure, body byte-exact, partial of a part', async () => {
  const fx = await startFixture();
  try {
    const c = await fx.connect();
    const mp = multipartMessage(20_000);
    const appended = await c.append('INBOX', mp.raw, ['\\Seen'], new Date('2022-03-01T12:00:00Z'));
    assert.ok(appended && typeof appended === 'object');
    assert.equal(appended.uid, 1);
    assert.ok(appended.uidValidity);
    await c.mailboxOpen('INBOX');
    const [m] = await all(
      c.fetch('1', { uid: true, envelope: true, bodyStructure: true, internalDate: true, size: true, source: true, flags: true }),
    );
    assert.ok(m);
    assert.equal(m.envelope?.subject, 'Report');
    assert.equal(m.envelope?.from?.[0]?.address, 'carol@example.net');
    assert.equal(m.size, mp.raw.length);
    assert.equal((m.internalDate as Date).toISOString(), '2022-03-01T12:00:00.000Z');
    assert.ok(m.flags?.has('\\Seen'));
    assert.equal(m.bodyStructure?.type, 'multipart/mixed');
    assert.equal(m.bodyStructure?.childNodes?.[1]?.type, 'application/octet-stream');
    assert.equal(m.bodyStructure?.childNodes?.[1]?.encoding, 'base64');
    assert.ok(m.source?.equals(mp.raw), 'BODY[] is byte-exact');

    const [p] = await all(c.fetch('1', { bodyParts: ['1', '2', '2.MIME'] }));
    assert.ok(p?.bodyParts?.get('1')?.equals(mp.part1));
    assert.ok(p?.bodyParts?.get('2')?.equals(mp.part2));
    assert.match(p?.bodyParts?.get('2.mime')?.toString() ?? '', /^Content-Type: application\/octet-stream/);
    const [h] = await all(c.fetch('1', { headers: true }));
    assert.equal(h?.headers?.toString(), mp.raw.toString().slice(0, mp.raw.indexOf('\r\n\r\n') + 4));
    const [hf] = await all(c.fetch('1', { headers: ['subject', 'to'] }));
    assert.equal(hf?.headers?.toString(), 'To: alice@example.com\r\nSubject: Report\r\n\r\n');

    // Partial of a part: BODY.PEEK[2]<100.50>.
    const partial = await c.download('1', '2', { uid: false });
    assert.ok(partial);
    const fetched: FetchMessageObject[] = [];
    for await (const x of c.fetch('1', { uid: true, bodyParts: [{ key: '2', start: 100, maxLength: 50 }] } as never)) fetched.push(x);
    const piece = fetched[0]?.bodyParts?.get('2');
    assert.ok(piece?.equals(mp.part2.subarray(100, 150)), 'partial is byte-exact');
    await c.logout();
  } finally {
    await fx.close();
  }
});

test('store flags, search, copy with COPYUID, expunge', async () => {
  const fx = await startFixture();
  try {
    const c = await fx.connect();
    await c.append('INBOX', simpleMessage({ subject: 'Lunch on Friday', from: 'Dave <dave@example.org>' }), [], new Date('2020-01-10T10:00:00Z'));
    await c.append('INBOX', simpleMessage({ subject: 'Quarterly numbers', body: 'revenue is up\r\n', date: 'Wed, 5 Feb 2020 09:00:00 +0000' }), ['\\Seen'], new Date('2020-02-05T10:00:00Z'));
    await c.append('INBOX', multipartMessage(5000, 'Big one').raw, [], new Date('2020-03-01T10:00:00Z'));
    await c.mailboxOpen('INBOX');

    await c.messageFlagsAdd('1', ['\\Flagged', 'todo']);
    await c.messageFlagsRemove('2', ['\\Seen']);
    const flags = await all(c.fetch('1:*', { flags: true }));
    assert.deepEqual([...(flags[0]?.flags ?? [])].sort(), ['\\Flagged', 'todo']);
    assert.deepEqual([...(flags[1]?.flags ?? [])], []);

    assert.deepEqual(await c.search({ flagged: true }), [1]);
    assert.deepEqual(await c.search({ seen: false }), [1, 2, 3]);
    assert.deepEqual(await c.search({ keyword: 'todo' }), [1]);
    assert.deepEqual(await c.search({ from: 'dave@example' }), [1]);
    assert.deepEqual(await c.search({ subject: 'quarterly' }), [2]);
    assert.deepEqual(await c.search({ body: 'REVENUE' }), [2]);
    assert.deepEqual(await c.search({ since: new Date('2020-02-01T00:00:00Z') }), [2, 3]);
    assert.deepEqual(await c.search({ before: new Date('2020-02-01T00:00:00Z') }), [1]);
    assert.deepEqual(await c.search({ sentOn: new Date('2020-02-05T00:00:00Z') }), [2]);
    assert.deepEqual(await c.search({ larger: 3000 }), [3]);
    assert.deepEqual(await c.search({ or: [{ flagged: true }, { subject: 'big' }] }), [1, 3]);
    assert.deepEqual(await c.search({ not: { flagged: true } } as never), [2, 3]);
    assert.deepEqual(await c.search({ uid: '2:3', larger: 3000 }, { uid: true }), [3]);

    const copied = await c.messageCopy('1:2', 'Archive');
    assert.ok(copied && typeof copied === 'object');
    assert.equal(copied.destination, 'Archive');
    assert.ok(copied.uidMap instanceof Map);
    assert.deepEqual([...copied.uidMap.entries()], [[1, 1], [2, 2]]);
    assert.equal(await c.messageCopy('1', 'Nowhere'), false); // NO [TRYCREATE]: imapflow answers false

    await c.messageFlagsAdd('1:2', ['\\Deleted']);
    const expunged: number[] = [];
    c.on('expunge', (e: { seq: number }) => expunged.push(e.seq));
    await c.messageDelete('1', { uid: true }); // UID EXPUNGE 1 (UIDPLUS)
    let remaining = await all(c.fetch('1:*', { uid: true }));
    assert.deepEqual(remaining.map((m) => m.uid), [2, 3]);
    await c.mailboxClose(); // CLOSE expunges the remaining \Deleted (UID 2) silently
    await c.mailboxOpen('INBOX');
    remaining = await all(c.fetch('1:*', { uid: true }));
    assert.deepEqual(remaining.map((m) => m.uid), [3]);
    const archive = await c.status('Archive', { messages: true });
    assert.ok(archive);
    assert.equal(archive.messages, 2);
    await c.logout();
  } finally {
    await fx.close();
  }
});

test('two clients on one mailbox: the other sees EXISTS, flag changes and EXPUNGE on NOOP', async () => {
  const fx = await startFixture();
  try {
    const a = await fx.connect();
    const b = await fx.connect();
    await a.mailboxOpen('INBOX');
    await b.mailboxOpen('INBOX');
    const events: string[] = [];
    b.on('exists', (e: { count: number }) => events.push(`exists ${e.count}`));
    b.on('flags', (e: { seq: number; flags: Set<string> }) => events.push(`flags ${e.seq} ${[...e.flags].join(',')}`));
    b.on('expunge', (e: { seq: number }) => events.push(`expunge ${e.seq}`));

    await a.append('INBOX', simpleMessage({ subject: 'one' }));
    await a.append('INBOX', simpleMessage({ subject: 'two' }));
    await b.noop();
    assert.ok(events.includes('exists 2'), events.join('; '));

    await a.messageFlagsAdd('2', ['\\Flagged']);
    await b.noop();
    assert.ok(events.some((e) => e.startsWith('flags 2 ') && e.includes('\\Flagged')), events.join('; '));

    await a.messageFlagsAdd('1', ['\\Deleted']);
    await a.messageDelete('1');
    await b.noop();
    assert.ok(events.includes('expunge 1'), events.join('; '));
    const left = await all(b.fetch('1:*', { uid: true }));
    assert.deepEqual(left.map((m) => m.uid), [2]);
    await a.logout();
    await b.logout();
  } finally {
    await fx.close();
  }
});
