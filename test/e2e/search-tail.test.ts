// SEARCH of messages not yet sealed into search segments, now that cold items keep no text (issue #8): the store
// matches the unsealed tail (mailstore/search-text.ts) from the text the storing process kept, else from the raw
// message. Over real TCP on DynamoDB Local + S3: (a) the frontend that stored the messages, (b) a second frontend on
// the same tables (an empty cache: GETs of the raw messages, once), (c) a frontend started after the first stopped;
// COPY and MOVE out of a sealed mailbox (the destination's tail) before and after the destination's seal; SORT and
// THREAD with a BODY key; a SEARCH of more text keys than one store call takes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ImapClient } from '../../bench/imap-client.js';
import { RawClient } from './raw-client.js';
import { quiet, startAwsStratus, type AwsEndpoints, type LocalStratus } from '../../bench/local-stratus.js';
import { addUser } from '../../src/mailstore/directory.js';
import { keys } from '../../src/mailstore/keys.js';
import type { MailboxId, UserId } from '../../src/mailstore/ids.js';
import { sealMailbox } from '../../src/mailstore/search-seal.js';
import { directoryFromItem, foldedSegments } from '../../src/mailstore/search-segments.js';
import { CallMeter } from '../../src/storage/metered.js';

const USER = 'tail@example.com';
const PASSWORD = 'tail password';

function message(i: number): Buffer {
  const from = i % 2 === 0 ? 'Carol <carol@example.com>' : 'dave@example.org';
  const word = i % 3 === 0 ? ' marmoset' : '';
  const head = [`From: ${from}`, 'To: bob@example.com', `Subject: Tail ${i}`, `Message-ID: <t${i}@example.com>`, 'Date: Mon, 02 Mar 2026 10:00:00 +0000'];
  if (i % 4 === 0) head.push('X-Mood: sunny');
  return Buffer.from([...head, 'Content-Type: text/plain; charset=utf-8', '', `Hello number ${i}${word}`, ''].join('\r\n'));
}

/** The criteria compared (sequence numbers). */
const QUERIES = ['BODY marmoset', 'TEXT marmoset', 'TEXT "x-mood: sunny"', 'FROM carol', 'HEADER X-Mood sunny', 'SUBJECT "tail 5"', 'NOT BODY hello'];

function endpoints(): AwsEndpoints {
  const { STRATUS_TEST_DYNAMODB_ENDPOINT: d, STRATUS_TEST_S3_ENDPOINT: s, STRATUS_TEST_S3_BUCKET: bucket } = process.env;
  if (!d || !s || !bucket) throw new Error('run through test/run.mjs: it starts DynamoDB Local and the S3 stand-in');
  return { dynamodbEndpoint: d, s3Endpoint: s, s3Bucket: bucket };
}

describe('SEARCH of the unsealed tail from the raw messages (dynamodb-local+s3)', () => {
  let first: LocalStratus;
  const started: LocalStratus[] = [];

  before(async () => {
    first = await startAwsStratus(endpoints());
    started.push(first);
    await addUser(first.server.store.ctx, USER, PASSWORD);
  });
  after(async () => {
    for (const s of started.reverse()) await s.close().catch(() => undefined);
  });

  async function connect(s: LocalStratus): Promise<ImapClient> {
    const c = await ImapClient.connect({ host: '127.0.0.1', port: s.server.imapPort!, timeoutMs: 120_000 });
    await c.login(USER, PASSWORD);
    await c.capability();
    return c;
  }

  async function answers(c: ImapClient, path: string): Promise<string[]> {
    await c.select(path);
    const out: string[] = [];
    for (const q of QUERIES) out.push(`${q} → ${(await c.search(q)).join(',')}`);
    return out;
  }

  /** Answers, and the raw-message GETs they cost on `s` (segments are not read: nothing is sealed unless said). */
  async function measured(s: LocalStratus, c: ImapClient, path: string): Promise<{ got: string[]; gets: number }> {
    await quiet(s.server.store.meter, 100);
    const before = s.server.store.meter.snapshot();
    const got = await answers(c, path);
    await quiet(s.server.store.meter, 100);
    return { got, gets: CallMeter.diff(s.server.store.meter.snapshot(), before).byOp['blob.get'] ?? 0 };
  }

  async function mailboxId(s: LocalStratus, path: string): Promise<MailboxId> {
    const ctx = s.server.store.ctx;
    const login = await ctx.kv.get('mail', keys.login(USER), { consistent: true });
    return (await ctx.kv.get('mail', keys.mailboxName(login!.userId as UserId, path), { consistent: true }))!.mailboxId as MailboxId;
  }

  const expected = [
    'BODY marmoset → 3,6',
    'TEXT marmoset → 3,6',
    'TEXT "x-mood: sunny" → 4,8',
    'FROM carol → 2,4,6,8',
    'HEADER X-Mood sunny → 4,8',
    'SUBJECT "tail 5" → 5',
    'NOT BODY hello → ',
  ];

  it('finds unsealed messages from the storing frontend, a second one, and one started after a restart', async () => {
    const a = await connect(first);
    for (let i = 1; i <= 8; i++) await a.append('INBOX', message(i));
    const inA = await measured(first, a, 'INBOX');
    assert.deepEqual(inA.got, expected);
    assert.equal(inA.gets, 0, 'the storing frontend kept the text: no GET');

    const second = await startAwsStratus(endpoints(), {}, first.tables);
    started.push(second);
    const b = await connect(second);
    const inB = await measured(second, b, 'INBOX');
    assert.deepEqual(inB.got, expected);
    assert.equal(inB.gets, 8, 'a frontend with an empty cache GETs each raw message once');
    const again = await measured(second, b, 'INBOX');
    assert.deepEqual(again.got, expected);
    assert.equal(again.gets, 0, '… and keeps what it derived');
    await b.logout();
    await a.logout();

    await first.close();
    started.splice(started.indexOf(first), 1);
    const restarted = await startAwsStratus(endpoints(), {}, second.tables);
    started.push(restarted);
    const c = await connect(restarted);
    assert.deepEqual((await measured(restarted, c, 'INBOX')).got, expected);
    await c.logout();
    first = restarted;
  });

  it('finds messages COPYd and MOVEd out of a sealed mailbox, before and after the destination is sealed', async () => {
    const c = await connect(first);
    const ctx = first.server.store.ctx;
    const inbox = await mailboxId(first, 'INBOX');
    await sealMailbox(ctx, inbox);
    assert.equal(directoryFromItem(await ctx.kv.get('mail', keys.searchDirectory(inbox), { consistent: true })).upTo, 8);
    await c.command('CREATE Copies', 'CREATE');
    await c.command('CREATE Moved', 'CREATE');
    await c.select('INBOX');
    await c.command('COPY 1:8 Copies', 'COPY');
    await c.command('MOVE 1:8 Moved', 'MOVE');
    const other = await startAwsStratus(endpoints(), {}, first.tables); // an empty cache, as any other frontend's
    started.push(other);
    const d = await connect(other);
    for (const path of ['Copies', 'Moved']) {
      const box = await mailboxId(first, path);
      assert.equal(directoryFromItem(await ctx.kv.get('mail', keys.searchDirectory(box), { consistent: true })).upTo, 0, `${path}: unsealed`);
      assert.deepEqual((await measured(other, d, path)).got, expected, `${path}, unsealed`);
      await sealMailbox(ctx, box);
      foldedSegments.clear();
      assert.deepEqual((await measured(other, d, path)).got, expected, `${path}, sealed`);
    }
    await c.select('INBOX');
    assert.deepEqual(await c.search('BODY marmoset'), [], 'the source holds nothing after the MOVE');
    await d.logout();
    await c.logout();
  });

  it('answers SORT and THREAD with a BODY key, and a SEARCH of more text keys than one store call takes', async () => {
    const c = await connect(first);
    await c.command('CREATE Fresh', 'CREATE');
    for (let i = 1; i <= 9; i++) await c.append('Fresh', message(i));
    await c.select('Fresh');
    const sort = await c.command('SORT (REVERSE ARRIVAL) UTF-8 BODY marmoset', 'SORT');
    const sorted = sort.untagged.flatMap((r) => (r.kind === 'data' && r.name === 'SORT' ? r.values.map(Number) : []));
    assert.deepEqual(sorted, [9, 6, 3]);
    // THREAD's answer has lists without spaces between them: read it as text.
    const raw = await RawClient.connect(first.server.imapPort!);
    await raw.command('a1', `LOGIN ${USER} "${PASSWORD}"`);
    await raw.command('a2', 'SELECT Fresh');
    const thread = await raw.command('a3', 'THREAD ORDEREDSUBJECT UTF-8 BODY marmoset');
    assert.match(thread, /^\* THREAD \(3\)\(6\)\(9\)\r\n/m);
    await raw.command('a4', 'LOGOUT');
    // 70 text keys (69 × NOT BODY absentN, then BODY marmoset): two store calls, one answer.
    const criteria = `${Array.from({ length: 69 }, (_, k) => `NOT BODY absent${k}`).join(' ')} BODY marmoset`;
    assert.deepEqual(await c.search(criteria), [3, 6, 9]);
    assert.deepEqual(await c.search(`${criteria} FROM carol`), [6]);
    await c.logout();
  });
});
