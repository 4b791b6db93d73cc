// Every response form the encoder produces (RFC 3501 §7 and extensions), and ImapWriter's streaming behaviour.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import {
  BodyLengthError,
  ImapWriter,
  capabilityData,
  continuation,
  enabledData,
  esearchData,
  existsData,
  expungeData,
  fetchResponse,
  flagsData,
  formatDateTime,
  formatSection,
  formatSequenceSet,
  idData,
  listData,
  namespaceData,
  piecesToBuffer,
  recentData,
  searchData,
  statusData,
  statusResponse,
  vanishedData,
} from '../../src/imap/encoder.js';

test('tagged and untagged status responses with response codes', () => {
  assert.equal(statusResponse('a1', 'OK', 'SELECT completed', 'READ-WRITE'), 'a1 OK [READ-WRITE] SELECT completed\r\n');
  assert.equal(statusResponse(null, 'OK', 'UIDs valid', { code: 'UIDVALIDITY', value: 3857529045 }), '* OK [UIDVALIDITY 3857529045] UIDs valid\r\n');
  assert.equal(statusResponse('a2', 'NO', 'No such mailbox', 'TRYCREATE'), 'a2 NO [TRYCREATE] No such mailbox\r\n');
  assert.equal(statusResponse('a3', 'BAD', 'Unknown command'), 'a3 BAD Unknown command\r\n');
  assert.equal(statusResponse(null, 'BAD', 'Missing tag'), '* BAD Missing tag\r\n');
  assert.equal(statusResponse(null, 'BYE', 'Logging out'), '* BYE Logging out\r\n');
  assert.equal(statusResponse(null, 'PREAUTH', 'Welcome', { code: 'CAPABILITY', capabilities: ['IMAP4rev1', 'IDLE'] }), '* PREAUTH [CAPABILITY IMAP4rev1 IDLE] Welcome\r\n');
  assert.equal(
    statusResponse(null, 'OK', 'Limited', { code: 'PERMANENTFLAGS', flags: ['\\Deleted', '\\Seen', '\\*'] }),
    '* OK [PERMANENTFLAGS (\\Deleted \\Seen \\*)] Limited\r\n',
  );
  assert.equal(statusResponse('a', 'OK', 'APPEND completed', { code: 'APPENDUID', uidValidity: 38505, uids: [3955] }), 'a OK [APPENDUID 38505 3955] APPEND completed\r\n');
  assert.equal(
    statusResponse('a', 'OK', 'Done', { code: 'COPYUID', uidValidity: 38505, source: [304, 319, 320, 321], destination: [3956, 3957, 3958, 3959] }),
    'a OK [COPYUID 38505 304,319:321 3956:3959] Done\r\n',
  );
  assert.equal(statusResponse('a', 'OK', 'x', { code: 'MODIFIED', numbers: [7, 9, 8] }), 'a OK [MODIFIED 7:9] x\r\n');
  assert.equal(statusResponse('a', 'NO', 'x', { code: 'BADCHARSET', charsets: ['UTF-8', 'US-ASCII'] }), 'a NO [BADCHARSET ("UTF-8" "US-ASCII")] x\r\n');
  assert.equal(statusResponse('a', 'NO', 'Message too large', 'TOOBIG'), 'a NO [TOOBIG] Message too large\r\n');
  assert.equal(statusResponse(null, 'OK', 'x', { code: 'HIGHESTMODSEQ', value: 715194045007 }), '* OK [HIGHESTMODSEQ 715194045007] x\r\n');
  assert.equal(statusResponse(null, 'OK', 'x', { code: 'MAILBOXID', id: 'F2212ea87' }), '* OK [MAILBOXID (F2212ea87)] x\r\n');
  // text can never break the line or pose as a response code
  assert.equal(statusResponse('a', 'NO', 'bad\r\nthing'), 'a NO bad thing\r\n');
  assert.equal(statusResponse('a', 'NO', '[ALERT] fake'), 'a NO  [ALERT] fake\r\n');
});

test('continuation', () => {
  assert.equal(continuation(), '+ Ready\r\n');
  assert.equal(continuation('idling'), '+ idling\r\n');
  assert.equal(continuation(''), '+ \r\n');
});

test('simple untagged data', () => {
  assert.equal(capabilityData(['IMAP4rev1', 'LITERAL+', 'AUTH=PLAIN']), '* CAPABILITY IMAP4rev1 LITERAL+ AUTH=PLAIN\r\n');
  assert.equal(enabledData(['CONDSTORE']), '* ENABLED CONDSTORE\r\n');
  assert.equal(enabledData([]), '* ENABLED\r\n');
  assert.equal(existsData(3), '* 3 EXISTS\r\n');
  assert.equal(recentData(0), '* 0 RECENT\r\n');
  assert.equal(expungeData(5), '* 5 EXPUNGE\r\n');
  assert.equal(flagsData(['\\Answered', '\\Flagged', '$Junk']), '* FLAGS (\\Answered \\Flagged $Junk)\r\n');
  assert.equal(vanishedData([41, 43, 44, 45], true), '* VANISHED (EARLIER) 41,43:45\r\n');
  assert.equal(vanishedData([405], false), '* VANISHED 405\r\n');
});

test('LIST and LSUB with modified UTF-7, NIL delimiter and extended data', () => {
  assert.equal(listData({ attributes: ['\\HasNoChildren'], delimiter: '/', mailbox: 'INBOX' }), '* LIST (\\HasNoChildren) "/" "INBOX"\r\n');
  assert.equal(listData({ attributes: [], delimiter: '.', mailbox: 'Entwürfe' }), '* LIST () "." "Entw&APw-rfe"\r\n');
  // RFC 6855 §3: after ENABLE UTF8=ACCEPT (or IMAP4rev2) a UTF-8 name goes as a quoted string; CR/LF force a literal.
  assert.equal(listData({ attributes: [], delimiter: '.', mailbox: 'Entwürfe' }, 'LIST', true), '* LIST () "." "Entwürfe"\r\n');
  assert.equal(listData({ attributes: [], delimiter: '.', mailbox: 'a"b\\c' }, 'LIST', true), '* LIST () "." "a\\"b\\\\c"\r\n');
  assert.equal(listData({ attributes: [], delimiter: '.', mailbox: 'a\nb' }, 'LIST', true), '* LIST () "." {3}\r\na\nb\r\n');
  assert.equal(listData({ attributes: ['\\Noselect'], delimiter: null, mailbox: 'a"b' }, 'LSUB'), '* LSUB (\\Noselect) NIL "a\\"b"\r\n');
  assert.equal(
    listData({ attributes: ['\\Subscribed'], delimiter: '/', mailbox: 'Foo', childInfo: ['SUBSCRIBED'] }),
    '* LIST (\\Subscribed) "/" "Foo" ("CHILDINFO" ("SUBSCRIBED"))\r\n',
  );
  assert.equal(
    listData({ attributes: [], delimiter: '/', mailbox: 'New', oldName: 'Old' }),
    '* LIST () "/" "New" ("OLDNAME" ("Old"))\r\n',
  );
});

test('STATUS, SEARCH, ESEARCH, ID, NAMESPACE', () => {
  assert.equal(
    statusData('blurdybloop', [
      ['MESSAGES', 231],
      ['UIDNEXT', 44292],
    ]),
    '* STATUS "blurdybloop" (MESSAGES 231 UIDNEXT 44292)\r\n',
  );
  assert.equal(statusData('Entwürfe', [['MAILBOXID', 'F2212ea87']]), '* STATUS "Entw&APw-rfe" (MAILBOXID (F2212ea87))\r\n');
  assert.equal(searchData([2, 3, 6]), '* SEARCH 2 3 6\r\n');
  assert.equal(searchData([]), '* SEARCH\r\n');
  assert.equal(searchData([2, 5], 917162500), '* SEARCH 2 5 (MODSEQ 917162500)\r\n');
  assert.equal(searchData([], 917162500), '* SEARCH\r\n');
  assert.equal(
    esearchData({ tag: 'A282', uid: false, min: 2, count: 3 }),
    '* ESEARCH (TAG "A282") MIN 2 COUNT 3\r\n',
  );
  assert.equal(
    esearchData({ tag: 'a', uid: true, min: 1, max: 9, all: [1, 2, 3, 9], count: 4, modSeq: 5 }),
    '* ESEARCH (TAG "a") UID MIN 1 MAX 9 ALL 1:3,9 COUNT 4 MODSEQ 5\r\n',
  );
  assert.equal(esearchData({ tag: 'a', uid: true, all: [] }), '* ESEARCH (TAG "a") UID\r\n');
  assert.equal(idData([['name', 'Stratus'], ['version', null]]), '* ID ("name" "Stratus" "version" NIL)\r\n');
  assert.equal(idData(null), '* ID NIL\r\n');
  assert.equal(namespaceData([{ prefix: '', delimiter: '/' }], null, null), '* NAMESPACE (("" "/")) NIL NIL\r\n');
  assert.equal(
    namespaceData([{ prefix: '', delimiter: '/' }], [{ prefix: '~', delimiter: '/' }], [{ prefix: '#shared/', delimiter: '/' }, { prefix: '#public/', delimiter: '/' }]),
    '* NAMESPACE (("" "/")) (("~" "/")) (("#shared/" "/")("#public/" "/"))\r\n',
  );
});

test('date-time, sequence sets and sections', () => {
  assert.equal(formatDateTime(new Date('1996-07-17T09:44:25Z'), -420), '"17-Jul-1996 02:44:25 -0700"');
  assert.equal(formatDateTime(new Date('2024-01-05T23:30:00Z')), '"05-Jan-2024 23:30:00 +0000"');
  assert.equal(formatDateTime(new Date('2024-01-05T23:30:00Z'), 330), '"06-Jan-2024 05:00:00 +0530"');
  assert.equal(formatSequenceSet([5, 1, 2, 3, 3, 9, 10]), '1:3,5,9:10');
  assert.equal(formatSequenceSet([]), '');
  assert.equal(formatSection({ part: [] }), '');
  assert.equal(formatSection({ part: [1, 2], text: { kind: 'MIME' } }), '1.2.MIME');
  assert.equal(formatSection({ part: [], text: { kind: 'HEADER.FIELDS', not: true, fields: ['From', 'X Odd'] } }), 'HEADER.FIELDS.NOT (From "X Odd")');
  assert.equal(formatSection({ part: [3], text: { kind: 'TEXT' } }), '3.TEXT');
});

test('FETCH with in-memory values', () => {
  const pieces = fetchResponse(12, [
    { name: 'FLAGS', flags: ['\\Seen'] },
    { name: 'UID', uid: 4827313 },
    { name: 'INTERNALDATE', date: new Date('1996-07-17T09:44:25Z'), offsetMinutes: -420 },
    { name: 'RFC822.SIZE', size: 44827 },
    { name: 'MODSEQ', modSeq: 624140003 },
    { name: 'ENVELOPE', wire: '(NIL "s" NIL NIL NIL NIL NIL NIL NIL NIL)' },
    { name: 'EMAILID', id: 'M6d99ac3275bb4e' },
    { name: 'THREADID', id: null },
    { name: 'BODY[]', section: { part: [], text: { kind: 'HEADER.FIELDS', not: false, fields: ['From'] } }, body: 'From: a\r\n\r\n' },
    { name: 'BODY[]', section: { part: [1] }, origin: 0, body: Buffer.from('abc') },
    { name: 'BODY[]', section: { part: [9] }, body: null },
    { name: 'BINARY[]', part: [2], body: Buffer.from([1, 0, 2]) },
    { name: 'BINARY.SIZE', part: [2], size: 3 },
    { name: 'RFC822.HEADER', body: 'X: ü\r\n' },
  ]);
  assert.equal(
    piecesToBuffer(pieces).toString('utf8'),
    '* 12 FETCH (FLAGS (\\Seen) UID 4827313 INTERNALDATE "17-Jul-1996 02:44:25 -0700" RFC822.SIZE 44827 MODSEQ (624140003) ' +
      'ENVELOPE (NIL "s" NIL NIL NIL NIL NIL NIL NIL NIL) EMAILID (M6d99ac3275bb4e) THREADID NIL ' +
      'BODY[HEADER.FIELDS (From)] {11}\r\nFrom: a\r\n\r\n BODY[1]<0> {3}\r\nabc BODY[9] NIL BINARY[2] ~{3}\r\n\x01\x00\x02 ' +
      'BINARY.SIZE[2] 3 RFC822.HEADER {7}\r\nX: ü\r\n)\r\n',
  );
});

/** A Writable that records what it is given and reports "full" every time, to exercise the drain path. */
function slowSink(): { sink: Writable; received: () => Buffer } {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    highWaterMark: 16,
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk);
      setImmediate(cb);
    },
  });
  return { sink, received: () => Buffer.concat(chunks) };
}

test('ImapWriter streams a FETCH body through backpressure, in order with other responses', async () => {
  const { sink, received } = slowSink();
  const writer = new ImapWriter(sink);
  const body = Buffer.alloc(1024 * 1024, 0x61);
  let pulled = 0;
  const stream = Readable.from(
    (async function* () {
      for (let i = 0; i < body.length; i += 4096) {
        pulled += 4096;
        yield body.subarray(i, i + 4096);
      }
    })(),
  );
  const first = writer.write(fetchResponse(1, [{ name: 'UID', uid: 7 }, { name: 'BODY[]', section: { part: [] }, body: { size: body.length, stream } }]));
  const second = writer.write('a OK FETCH completed\r\n');
  await Promise.all([first, second]);
  assert.equal(pulled, body.length);
  const out = received().toString('latin1');
  assert.ok(out.startsWith(`* 1 FETCH (UID 7 BODY[] {${body.length}}\r\naaaa`));
  assert.ok(out.endsWith('aaaa)\r\na OK FETCH completed\r\n'));
  assert.equal(out.length, `* 1 FETCH (UID 7 BODY[] {${body.length}}\r\n`.length + body.length + ')\r\na OK FETCH completed\r\n'.length);
});

test('ImapWriter rejects a body stream that does not match its announced size', async () => {
  const { sink } = slowSink();
  const writer = new ImapWriter(sink);
  await assert.rejects(
    writer.write(fetchResponse(1, [{ name: 'RFC822', body: { size: 10, stream: Readable.from([Buffer.from('short')]) } }])),
    BodyLengthError,
  );
  await assert.rejects(
    writer.write(fetchResponse(1, [{ name: 'RFC822', body: { size: 2, stream: Readable.from([Buffer.from('too long')]) } }])),
    BodyLengthError,
  );
  // the writer still works for the next response (the session decides to close)
  await writer.write('* BYE\r\n');
});

test('ImapWriter stops waiting when the socket closes while full', async () => {
  const sink = new Writable({
    highWaterMark: 1,
    write(_chunk, _enc, _cb) {
      /* never completes: the socket is stuck */
    },
  });
  const writer = new ImapWriter(sink);
  const pending = writer.write(Buffer.alloc(100));
  sink.destroy();
  await assert.rejects(pending, /Connection closed/);
});
