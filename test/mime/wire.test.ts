// IMAP wire forms: strings, ENVELOPE, BODY and BODYSTRUCTURE (RFC 3501 §7.4.2, §9; RFC 9051 §7.5.2).
// Expected strings are written by hand from the RFC grammar; they agree with Dovecot 2.3 modulo the case of
// type/subtype/parameter names (we upper-case them, Dovecot echoes the sender's case).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bodyNonExtensibleWire, bodystructureWire } from '../../src/imap/wire/bodystructure.js';
import { envelopeWire } from '../../src/imap/wire/envelope.js';
import { imapString } from '../../src/imap/wire/string.js';
import { indexMessage } from '../../src/mime/index.js';
import { load } from './helpers.js';

test('imapString: NIL, quoted with escapes, literal for CR/LF, 8-bit, long values; NUL dropped', () => {
  assert.equal(imapString(null), 'NIL');
  assert.equal(imapString(''), '""');
  assert.equal(imapString('plain text'), '"plain text"');
  assert.equal(imapString('say "hi" \\ bye'), '"say \\"hi\\" \\\\ bye"');
  assert.equal(imapString('two\r\nlines'), '{10}\r\ntwo\r\nlines');
  assert.equal(imapString('café'), '{5}\r\ncafé');
  const long = 'x'.repeat(2000);
  assert.equal(imapString(long), `{2000}\r\n${long}`);
  assert.equal(imapString('a\0b\u00e9'), '{4}\r\nab\u00e9');
});

const TERRY = '(("Terry Gray" NIL "gray" "cac.washington.edu"))';

test('ENVELOPE of the RFC 3501 §7.4.2 example message', () => {
  const { index } = load('simple');
  assert.equal(
    envelopeWire(index.env),
    `("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)" "IMAP4rev1 WG mtg summary and minutes" ${TERRY} ${TERRY} ${TERRY} ` +
      '((NIL NIL "imap" "cac.washington.edu")) ((NIL NIL "minutes" "CNRI.Reston.VA.US")' +
      '("John Klensin" NIL "KLENSIN" "MIT.EDU")) NIL NIL "<B27397-0100000@cac.washington.edu>")',
  );
});

test('ENVELOPE keeps RFC 2047 words encoded and the quoted-string content of names', () => {
  const { index } = load('encoded-words');
  const keld = '(("=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?=" NIL "keld" "dkuug.dk"))';
  assert.equal(
    envelopeWire(index.env),
    '("Thu, 6 Feb 2025 10:00:00 +0000" ' +
      '"=?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?= =?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?=" ' +
      `${keld} ${keld} ${keld} ` +
      '(("=?US-ASCII?Q?Keith_Moore?=" NIL "moore" "cs.utk.edu")("Andr=?utf-8?q?=C3=A9?=" NIL "andre" "example.fr")) ' +
      'NIL NIL NIL NIL)',
  );
});

test('ENVELOPE: group syntax, explicit Sender/Reply-To, In-Reply-To, quoting, and 8-bit header text', () => {
  const raw = Buffer.from(
    [
      'From: a@example.com',
      'Sender: s@example.com',
      'Reply-To: "The \\"List\\"" <list@example.com>',
      'To: undisclosed-recipients:;',
      'Cc: Team: x@example.com, y@example.com;',
      'Subject: Grüße',
      'In-Reply-To: <p@example.com>',
      '',
      'body',
    ].join('\r\n'),
  );
  assert.equal(
    envelopeWire(indexMessage(raw).env),
    '(NIL {7}\r\nGrüße ((NIL NIL "a" "example.com")) ((NIL NIL "s" "example.com")) ' +
      '(("The \\"List\\"" NIL "list" "example.com")) ' +
      '((NIL NIL "undisclosed-recipients" NIL)(NIL NIL NIL NIL)) ' +
      '((NIL NIL "Team" NIL)(NIL NIL "x" "example.com")(NIL NIL "y" "example.com")(NIL NIL NIL NIL)) ' +
      'NIL "<p@example.com>" NIL)',
  );
});

test('BODY of the RFC 3501 §7.4.2 example: ("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 3028 92)', () => {
  // 91 lines of 33 octets and one of 25: 3028 octets in 92 lines.
  const body = `${`${'x'.repeat(31)}\r\n`.repeat(91)}${'y'.repeat(23)}\r\n`;
  const raw = Buffer.from(`Subject: s\r\nContent-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\r\n${body}`);
  const index = indexMessage(raw);
  assert.equal(bodyNonExtensibleWire(index.root), '("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 3028 92)');
  assert.equal(bodystructureWire(index.root), '("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 3028 92 NIL NIL NIL NIL)');
});

test('BODYSTRUCTURE of multipart/alternative', () => {
  const { index } = load('alternative');
  assert.equal(
    bodystructureWire(index.root),
    '(("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "QUOTED-PRINTABLE" 43 1 NIL NIL NIL NIL)' +
      '("TEXT" "HTML" ("CHARSET" "utf-8") NIL NIL "7BIT" 113 0 NIL NIL NIL NIL) "ALTERNATIVE" ("BOUNDARY" "ALT") NIL NIL NIL)',
  );
});

test('BODYSTRUCTURE with all single-part extension data (MD5, disposition, language list, location)', () => {
  const { index } = load('mixed-attachment');
  assert.equal(
    bodystructureWire(index.root),
    '(("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 32 0 NIL NIL NIL NIL)' +
      '("APPLICATION" "PDF" ("NAME" "report.pdf") "<report@example.com>" "Quarterly report" "BASE64" 1402 ' +
      '"Q2hlY2sgSW50ZWdyaXR5IQ==" ("ATTACHMENT" ("FILENAME" "report.pdf")) ("en" "de") "http://example.com/report.pdf")' +
      ' "MIXED" ("BOUNDARY" "MIX") NIL NIL NIL)',
  );
});

const ALICE = '(("Alice" NIL "alice" "example.org"))';
const INNER_ENV = `("Mon, 3 Feb 2025 12:00:00 +0000" "Lunch" ${ALICE} ${ALICE} ${ALICE} (("Bob" NIL "bob" "example.net")) NIL NIL NIL "<alt-1@example.org>")`;

test('BODYSTRUCTURE and BODY of a nested message/rfc822', () => {
  const { index } = load('nested-rfc822');
  assert.equal(
    bodystructureWire(index.root),
    '(("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 26 0 NIL NIL NIL NIL)' +
      `("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 362 ${INNER_ENV} ` +
      '(("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 17 0 NIL NIL NIL NIL)' +
      '("TEXT" "HTML" ("CHARSET" "us-ascii") NIL NIL "7BIT" 17 0 NIL NIL NIL NIL) "ALTERNATIVE" ("BOUNDARY" "INNER") NIL NIL NIL)' +
      ' 16 NIL ("INLINE" NIL) NIL NIL) "MIXED" ("BOUNDARY" "OUTER") NIL NIL NIL)',
  );
  assert.equal(
    bodyNonExtensibleWire(index.root),
    '(("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 26 0)' +
      `("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 362 ${INNER_ENV} ` +
      '(("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 17 0)("TEXT" "HTML" ("CHARSET" "us-ascii") NIL NIL "7BIT" 17 0) "ALTERNATIVE")' +
      ' 16) "MIXED")',
  );
});

test('BODYSTRUCTURE sends a decoded non-ASCII parameter back in RFC 2231 form (7-bit on the wire)', () => {
  const { index } = load('rfc2231');
  assert.equal(
    bodystructureWire(index.root),
    '(("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 4 0 NIL NIL NIL NIL)' +
      '("APPLICATION" "OCTET-STREAM" NIL NIL NIL "BASE64" 8 NIL ("ATTACHMENT" ("FILENAME*" "utf-8\'\'%E2%82%AC%20rates.txt")) NIL NIL)' +
      ' "MIXED" ("BOUNDARY" "XYZ") NIL NIL NIL)',
  );
});

test('BODYSTRUCTURE of a multipart/digest with a defaulted message/rfc822 part', () => {
  const { index } = load('digest');
  const one = '((NIL NIL "one" "example.com"))';
  assert.equal(
    bodystructureWire(index.root),
    `(("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 45 (NIL "one" ${one} ${one} ${one} NIL NIL NIL NIL NIL) ` +
      '("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 6 0 NIL NIL NIL NIL) 3 NIL NIL NIL NIL)' +
      '("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 14 0 NIL NIL NIL NIL) "DIGEST" ("BOUNDARY" "DIG") NIL NIL NIL)',
  );
});
