// SEARCH over search segments (src/mailstore/search-segments.ts) over real TCP, on both backends: INBOX and a twin
// mailbox get the same messages, flags and expunges; only INBOX (and the COPY target Copies) is sealed. Every text
// key — FROM, SUBJECT, BODY, TEXT, HEADER, with CHARSET UTF-8 case-insensitive substrings of RFC 2047 / quoted-
// printable / HTML text — must answer the same in the sealed INBOX as in the unsealed twin, before and after the
// seal, with messages appended after the seal (the unsealed tail), with expunged messages left in a segment, and in
// the mailbox COPY filled. The store calls of a sealed SEARCH are pinned: one KV call, one GET per segment, and
// for the unsealed tail one Query (+ a GET per raw message in a process that did not store it).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ImapClient, type CommandPart } from '../../bench/imap-client.js';
import { quiet, startAwsStratus, startSqliteStratus, type LocalStratus } from '../../bench/local-stratus.js';
import { addUser } from '../../src/mailstore/directory.js';
import { keys } from '../../src/mailstore/keys.js';
import type { MailboxId, UserId } from '../../src/mailstore/ids.js';
import { sealMailbox } from '../../src/mailstore/search-seal.js';
import { directoryFromItem, foldedSegments } from '../../src/mailstore/search-segments.js';
import { CallMeter } from '../../src/storage/metered.js';

const USER = 'segments@example.com';
const PASSWORD = 'segments password';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** Message i: three senders (one RFC 2047 encoded), encoded subjects, quoted-printable UTF-8 and HTML bodies. */
function message(i: number): Buffer {
  const from = ['"Carol Q" <carol@example.com>', '=?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <juergen@example.de>', 'dave@example.org'][i % 3];
  const subject = i % 4 === 0 ? `=?UTF-8?B?${b64(`Grüße aus Zürich ${i}`)}?=` : `Report ${i}`;
  const head = [`From: ${from}`, 'To: bob@example.com', `Subject: ${subject}`, `Message-ID: <m${i}@example.com>`, 'Date: Mon, 02 Mar 2026 10:00:00 +0000'];
  if (i % 5 === 0) head.push('X-Tag: alpha');
  let body: string[];
  if (i % 2 === 0) {
    const extra = i % 7 === 0 ? ' zephyrine' : '';
    body = ['Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: quoted-printable', '', `Treffen in K=C3=B6ln um ${i} Uhr${extra}`];
  } else {
    body = [
      'MIME-Version: 1.0',
      'Content-Type: multipart/alternative; boundary="b"',
      '',
      '--b',
      'Content-Type: text/html; charset=utf-8',
      '',
      `<p>Hello <b>WORLD</b> number ${i}</p>`,
      '--b--',
    ];
  }
  return Buffer.from([...head, ...body, ''].join('\r\n'));
}

const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');

/** The criteria compared (literals are UTF-8, sent with CHARSET UTF-8). */
const QUERIES: CommandPart[][] = [
  ['FROM carol'],
  ['CHARSET UTF-8 FROM ', utf8('MÜLLER')],
  ['CHARSET UTF-8 SUBJECT ', utf8('zÜrich')],
  ['CHARSET UTF-8 BODY ', utf8('KÖLN')],
  ['BODY zephyrine'],
  ['BODY world'],
  ['TEXT alpha'],
  ['TEXT "x-tag: alpha"'],
  ['HEADER X-Tag ""'],
  ['HEADER Message-ID "<m1"'],
  ['OR FROM carol BODY world'],
  ['NOT SUBJECT report'],
  ['UNSEEN SUBJECT report'],
  ['TO bob BODY nothing-matches-this'],
];

function backends(): [string, () => Promise<LocalStratus>][] {
  const { STRATUS_TEST_DYNAMODB_ENDPOINT: d, STRATUS_TEST_S3_ENDPOINT: s, STRATUS_TEST_S3_BUCKET: bucket } = process.env;
  if (!d || !s || !bucket) throw new Error('run through test/run.mjs: it starts DynamoDB Local and the S3 stand-in');
  return [
    ['sqlite+fs', () => startSqliteStratus()],
    ['dynamodb-local+s3', () => startAwsStratus({ dynamodbEndpoint: d, s3Endpoint: s, s3Bucket: bucket })],
  ];
}

for (const [name, start] of backends()) {
  describe(`SEARCH over search segments on ${name}`, () => {
    let stratus: LocalStratus;
    let client: ImapClient;

    before(async () => {
      stratus = await start();
      await addUser(stratus.server.store.ctx, USER, PASSWORD);
      client = await ImapClient.connect({ host: '127.0.0.1', port: stratus.server.imapPort!, timeoutMs: 120_000 });
      await client.login(USER, PASSWORD);
      await client.capability();
    });
    after(async () => {
      await client.logout();
      await stratus.close();
    });

    const ctx = () => stratus.server.store.ctx;

    async function mailboxId(path: string): Promise<MailboxId> {
      const login = await ctx().kv.get('mail', keys.login(USER), { consistent: true });
      const item = await ctx().kv.get('mail', keys.mailboxName(login!.userId as UserId, path), { consistent: true });
      return item!.mailboxId as MailboxId;
    }

    /** Every query's answer in `path` (sequence numbers; UIDs are the same in INBOX and its twin). */
    async function answers(path: string): Promise<string[]> {
      await client.select(path);
      const out: string[] = [];
      for (const q of QUERIES) out.push(`${q.map(String).join('')} → ${(await client.search(q)).join(',')}`);
      return out;
    }

    async function fill(path: string, from: number, to: number): Promise<void> {
      for (let i = from; i <= to; i++) await client.append(path, message(i), i % 3 === 0 ? ['\\Seen'] : []);
    }

    it('answers every text key the same before and after sealing, with a tail, expunges and COPY', async () => {
      await client.command('CREATE Twin', 'CREATE');
      await client.command('CREATE Copies', 'CREATE');
      await fill('INBOX', 1, 30);
      await fill('Twin', 1, 30);
      for (const path of ['INBOX', 'Twin']) {
        await client.select(path);
        await client.command('STORE 5,6,21 +FLAGS.SILENT (\\Deleted)', 'STORE');
        await client.command('EXPUNGE', 'EXPUNGE');
      }
      await client.select('INBOX');
      await client.command('COPY 1:12 Copies', 'COPY');
      const twin = await answers('Twin');
      const unsealed = await answers('INBOX');
      assert.deepEqual(unsealed, twin);
      assert.ok(twin.filter((a) => !a.endsWith('→ ')).length >= QUERIES.length - 1, `the queries find something: ${twin.join('; ')}`);
      const archiveBefore = await answers('Copies');

      const inbox = await mailboxId('INBOX');
      const archive = await mailboxId('Copies');
      await sealMailbox(ctx(), inbox, { segmentDocs: 10 });
      await sealMailbox(ctx(), archive);
      assert.equal(directoryFromItem(await ctx().kv.get('mail', keys.searchDirectory(inbox), { consistent: true })).segments.length, 3);
      assert.deepEqual(await answers('INBOX'), twin);
      assert.deepEqual(await answers('Copies'), archiveBefore);

      // Expunged after the seal: still in a segment, never in an answer. Appended after it: the unsealed tail.
      for (const path of ['INBOX', 'Twin']) {
        await client.select(path);
        await client.command('STORE 1,2 +FLAGS.SILENT (\\Deleted)', 'STORE');
        await client.command('EXPUNGE', 'EXPUNGE');
      }
      await fill('INBOX', 31, 36);
      await fill('Twin', 31, 36);
      assert.deepEqual(await answers('INBOX'), await answers('Twin'));
      await sealMailbox(ctx(), inbox, { segmentDocs: 10 });
      assert.deepEqual(await answers('INBOX'), await answers('Twin'));
    });

    it('a sealed SEARCH makes one KV call and one GET per segment; the tail costs one Query (and raw GETs, once)', async () => {
      const meter = stratus.server.store.meter;
      const other = await ImapClient.connect({ host: '127.0.0.1', port: stratus.server.imapPort!, timeoutMs: 120_000 });
      await other.login(USER, PASSWORD);
      await other.select('INBOX');
      const inbox = await mailboxId('INBOX');
      const dir = directoryFromItem(await ctx().kv.get('mail', keys.searchDirectory(inbox), { consistent: true }));
      // A cold process: the segments this process sealed (or searched) are in its folded-segment cache.
      const measure = async (criteria: string, cold = true) => {
        await quiet(meter, 100);
        if (cold) foldedSegments.clear();
        const before = meter.snapshot();
        const hits = await other.search(criteria);
        await quiet(meter, 100);
        return { hits, counts: CallMeter.diff(meter.snapshot(), before) };
      };
      const header = await measure('FROM carol');
      assert.equal(header.counts.kv, 1, JSON.stringify(header.counts.byOp));
      assert.equal(header.counts.byOp['blob.get'] ?? 0, dir.segments.length);
      const body = await measure('BODY world');
      assert.equal(body.counts.kv, 1, JSON.stringify(body.counts.byOp));
      assert.equal(body.counts.byOp['blob.get'] ?? 0, dir.segments.length);
      // Searched once, a segment is kept decoded: the same searches again read no blob, and answer the same.
      const again = await measure('BODY world', false);
      assert.equal(again.counts.byOp['blob.get'] ?? 0, 0, JSON.stringify(again.counts.byOp));
      assert.deepEqual(again.hits, body.hits);
      const headerAgain = await measure('FROM carol', false);
      assert.equal(headerAgain.counts.byOp['blob.get'] ?? 0, 0, JSON.stringify(headerAgain.counts.byOp));
      assert.deepEqual(headerAgain.hits, header.hits);
      // Three new messages above the sealed range: the store matches them (cold items keep no text, issue #8) with
      // one Query of their hot items, from the text this process kept when it stored them: no GET for them.
      await fill('INBOX', 37, 39);
      const fresh = await ImapClient.connect({ host: '127.0.0.1', port: stratus.server.imapPort!, timeoutMs: 120_000 });
      await fresh.login(USER, PASSWORD);
      await fresh.select('INBOX');
      await quiet(meter, 100);
      foldedSegments.clear();
      const before = meter.snapshot();
      const tailHits = await fresh.search('FROM carol');
      await quiet(meter, 100);
      const tail = CallMeter.diff(meter.snapshot(), before);
      assert.deepEqual([tail.kv, tail.byOp['kv.batchGet'], tail.byOp['kv.query']], [2, 1, 1], JSON.stringify(tail.byOp));
      assert.equal(tail.byOp['blob.get'] ?? 0, dir.segments.length);
      assert.deepEqual(tailHits.slice(0, header.hits.length), header.hits);
      assert.equal(tailHits.length, header.hits.length + 1, 'message 39 is from carol');
      // A process that did not store them (its doc cache empty): one GET of each raw message, then kept.
      const warm = await fresh.search('BODY world'); // the segments' texts are now folded in this process
      ctx().freshDocs?.clear();
      for (const raw of [3, 0]) {
        await quiet(meter, 100);
        const start = meter.snapshot();
        assert.deepEqual(await fresh.search('BODY world'), warm);
        await quiet(meter, 100);
        const spent = CallMeter.diff(meter.snapshot(), start);
        assert.equal(spent.byOp['blob.get'] ?? 0, raw, JSON.stringify(spent.byOp));
      }
      await fresh.logout();
      await other.logout();
    });
  });
}
