// Decoded text for SEARCH BODY/TEXT, the preview, and the decoded header cache.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDate } from '../../src/mime/date.js';
import { htmlToText } from '../../src/mime/html-text.js';
import { indexMessage, MAX_TEXT_BYTES } from '../../src/mime/index.js';
import { decodeQuotedPrintable } from '../../src/mime/transfer-decode.js';
import { load } from './helpers.js';

test('search text: quoted-printable and charset decoded; multipart/alternative indexed once (plain preferred)', () => {
  const { index } = load('alternative');
  assert.equal(index.text, 'Lunch at the café at noon? See you.');
  assert.equal(index.preview, 'Lunch at the café at noon? See you.');
  const latin = load('encoded-words').index;
  assert.equal(latin.text, 'Grüße aus København.\n');
});

test('search text: base64 text parts are decoded, binary attachments are skipped, nested messages included', () => {
  const raw = Buffer.from(
    [
      'Content-Type: multipart/mixed; boundary=b',
      '',
      '--b',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from('Ünïcödé body text\r\n').toString('base64'),
      '--b',
      'Content-Type: application/octet-stream',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from('SECRET-BINARY').toString('base64'),
      '--b--',
      '',
    ].join('\r\n'),
  );
  const index = indexMessage(raw);
  assert.equal(index.text, 'Ünïcödé body text\n');
  assert.doesNotMatch(index.text, /SECRET/);
  const nested = load('nested-rfc822').index;
  assert.equal(nested.text, 'See the forwarded message.\nInner plain text.');
});

test('html is reduced to text when there is no plain alternative', () => {
  assert.equal(
    htmlToText('<html><head><title>t</title><style>p{}</style></head><body><p>A &amp; B</p><script>x()</script>C&#233;&#x41;<br>D</body>'),
    'A & B\nCéA\nD',
  );
  const index = indexMessage(Buffer.from('Content-Type: text/html\r\n\r\n<p>Hello <b>there</b></p>'));
  assert.equal(index.text, 'Hello there');
});

test('the preview collapses whitespace and stops at 200 characters; the text is capped', () => {
  const words = 'word '.repeat(100);
  const index = indexMessage(Buffer.from(`Subject: p\r\n\r\n  ${words}\r\n\r\n${words}`));
  assert.equal(index.preview.length, 200);
  assert.ok(index.preview.startsWith('word word'));
  assert.doesNotMatch(index.preview, /\s\s/);
  const big = indexMessage(Buffer.from(`Subject: big\r\n\r\n${'é'.repeat(MAX_TEXT_BYTES)}`));
  assert.ok(Buffer.byteLength(big.text) <= MAX_TEXT_BYTES);
  assert.ok(big.text.length > MAX_TEXT_BYTES / 4);
  assert.doesNotMatch(big.text, /\uFFFD/);
});

test('quoted-printable: soft breaks, hex octets, malformed sequences kept', () => {
  assert.equal(decodeQuotedPrintable(Buffer.from('a=3Db=\r\nc=\nd =zz=4')).toString('latin1'), 'a=bcd =zz=4');
});

test('header cache: RFC 2047 decoded values, parsed date, every field in order', () => {
  const { index } = load('encoded-words');
  assert.equal(index.hdr.subject, 'If you can read this you understand the example.');
  assert.equal(index.hdr.from, 'Keld Jørn Simonsen <keld@dkuug.dk>');
  assert.equal(index.hdr.to, 'Keith Moore <moore@cs.utk.edu>, "André" <andre@example.fr>');
  assert.equal(index.hdr.date, Date.UTC(2025, 1, 6, 10, 0, 0));
  assert.deepEqual(
    index.hdr.fields.map(([name]) => name),
    ['from', 'to', 'subject', 'date', 'content-type', 'content-transfer-encoding'],
  );
  const simple = load('simple').index;
  assert.equal(simple.hdr.messageId, '<B27397-0100000@cac.washington.edu>');
  assert.equal(simple.hdr.date, Date.UTC(1996, 6, 17, 9, 23, 25));
  assert.equal(simple.hdr.cc, 'minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>');
});

test('dates: numeric and named zones, obsolete two-digit years, no day name, garbage', () => {
  assert.equal(parseDate('Fri, 21 Nov 1997 09:55:06 -0600'), Date.UTC(1997, 10, 21, 15, 55, 6));
  assert.equal(parseDate('21 Nov 97 09:55:06 GMT'), Date.UTC(1997, 10, 21, 9, 55, 6));
  assert.equal(parseDate('Thu, 13 Feb 69 23:32 -0330 (Newfoundland Time)'), Date.UTC(1969, 1, 14, 3, 2, 0));
  assert.equal(parseDate('1 Jan 2020 00:00:00 EST'), Date.UTC(2020, 0, 1, 5, 0, 0));
  assert.equal(parseDate('not a date'), null);
  assert.equal(parseDate(null), null);
});
