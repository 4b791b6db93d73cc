// Part tree and byte offsets, checked by slicing the raw fixture bytes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { indexMessage } from '../../src/mime/index.js';
import { jsonRoundTrip, load, section } from './helpers.js';

test('simple text message: header and body ranges, size and lines', () => {
  const { raw, index } = load('simple');
  const text = raw.toString('latin1');
  const split = text.indexOf('\r\n\r\n') + 4;
  assert.equal(index.size, raw.length);
  assert.equal(index.root.hs, 0);
  assert.equal(index.root.hl, split);
  assert.equal(index.root.bs, split);
  assert.equal(section(raw, index, [], 'text'), 'Hello IMAP world.\r\nSecond line.\r\n');
  assert.equal(index.root.bl, 33);
  assert.equal(index.root.lines, 2);
  assert.equal(index.root.type, 'text');
  assert.equal(index.root.sub, 'plain');
  assert.deepEqual(index.root.params, [['charset', 'US-ASCII']]);
  assert.equal(index.root.parts, null);
  assert.equal(index.lines, 11);
  assert.deepEqual(jsonRoundTrip(index), index);
});

test('multipart/alternative: preamble and epilogue skipped, CRLF before a boundary belongs to it', () => {
  const { raw, index } = load('alternative');
  const parts = index.root.parts;
  assert.ok(parts !== null);
  assert.equal(parts.length, 2);
  assert.equal(section(raw, index, [1], 'full'), 'Lunch at the caf=C3=A9 at noon?=\r\n See you.');
  assert.equal(
    section(raw, index, [1], 'mime'),
    'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n',
  );
  assert.match(section(raw, index, [2], 'full') ?? '', /^<html>.*<\/html>$/);
  assert.equal(parts[0]?.enc, 'quoted-printable');
  assert.equal(parts[1]?.sub, 'html');
  // The multipart's own body runs from the preamble to the end of the epilogue.
  assert.match(section(raw, index, [], 'text') ?? '', /^This is a preamble\.\r\n--ALT\r\n[\s\S]*--ALT--\r\nThis is the epilogue\.\r\n$/);
});

test('multipart/mixed with a base64 attachment: attachment bytes are exactly between the boundaries', () => {
  const { raw, index } = load('mixed-attachment');
  const text = raw.toString('latin1');
  const start = text.indexOf('Content-Location: http://example.com/report.pdf\r\n\r\n') + 51;
  const end = text.indexOf('\r\n--MIX--');
  const att = index.root.parts?.[1];
  assert.ok(att !== undefined);
  assert.equal(att.bs, start);
  assert.equal(att.bl, end - start);
  assert.equal(Buffer.from(section(raw, index, [2], 'full') ?? '', 'base64').length, 1024);
  assert.equal(att.type, 'application');
  assert.equal(att.sub, 'pdf');
  assert.equal(att.id, '<report@example.com>');
  assert.equal(att.desc, 'Quarterly report');
  assert.equal(att.md5, 'Q2hlY2sgSW50ZWdyaXR5IQ==');
  assert.equal(att.disp, 'attachment');
  assert.deepEqual(att.dparams, [['filename', 'report.pdf']]);
  assert.deepEqual(att.lang, ['en', 'de']);
  assert.equal(att.loc, 'http://example.com/report.pdf');
  assert.equal(att.lines, null, 'body lines only for text and message/rfc822');
  assert.equal(section(raw, index, [1], 'full'), 'Please find the report attached.');
});

test('nested message/rfc822: the part number refers to the inner message, its sub-parts are n.1 ...', () => {
  const { raw, index } = load('nested-rfc822');
  const msg = index.root.parts?.[1];
  assert.ok(msg !== undefined && msg.msg !== null);
  assert.equal(msg.type, 'message');
  assert.equal(msg.sub, 'rfc822');
  assert.equal(msg.lines, 16);
  assert.equal(msg.disp, 'inline');
  assert.equal(msg.msg.env.subject, 'Lunch');
  assert.equal(msg.msg.root.sub, 'alternative');
  const inner = section(raw, index, [2], 'full') ?? '';
  assert.ok(inner.startsWith('From: Alice <alice@example.org>\r\n'));
  assert.ok(inner.endsWith('--INNER--\r\n'));
  assert.equal(section(raw, index, [2], 'mime'), 'Content-Type: message/rfc822\r\nContent-Disposition: inline\r\n\r\n');
  assert.ok((section(raw, index, [2], 'header') ?? '').endsWith('boundary="INNER"\r\n\r\n'));
  assert.ok((section(raw, index, [2], 'text') ?? '').startsWith('--INNER\r\n'));
  assert.equal(section(raw, index, [2, 1], 'full'), 'Inner plain text.');
  assert.equal(section(raw, index, [2, 2], 'full'), '<p>Inner html</p>');
  assert.equal(section(raw, index, [2, 2], 'mime'), 'Content-Type: text/html; charset=us-ascii\r\n\r\n');
  assert.equal(section(raw, index, [2, 3], 'full'), null);
});

test('RFC 2231 continuations with charset are decoded in the parameters', () => {
  const { index } = load('rfc2231');
  const att = index.root.parts?.[1];
  assert.deepEqual(att?.dparams, [['filename', '€ rates.txt']]);
  assert.equal(att?.bl, 8);
});

test('bare LF input is indexed with LF offsets', () => {
  const { raw, index } = load('bare-lf');
  assert.equal(section(raw, index, [1], 'full'), 'line one\nline two');
  assert.equal(section(raw, index, [2], 'full'), 'second part');
  assert.equal(section(raw, index, [1], 'mime'), 'Content-Type: text/plain\n\n');
  assert.equal(index.root.parts?.[0]?.lines, 1);
});

test('missing final boundary: the last part runs to the end of the message', () => {
  const { raw, index } = load('missing-final-boundary');
  assert.equal(index.root.parts?.length, 2);
  assert.equal(section(raw, index, [2], 'full'), 'second, and the message ends without a close delimiter\r\n');
});

test('no headers at all: empty header, everything is a text/plain body', () => {
  const { raw, index } = load('no-headers');
  assert.equal(index.root.hl, 0);
  assert.equal(index.root.bs, 0);
  assert.equal(index.root.bl, raw.length);
  assert.equal(index.root.type, 'text');
  assert.deepEqual(index.root.params, [['charset', 'us-ascii']]);
  assert.equal(index.env.subject, null);
});

test('multipart/digest: parts without Content-Type default to message/rfc822', () => {
  const { raw, index } = load('digest');
  const [first, second] = index.root.parts ?? [];
  assert.equal(first?.type, 'message');
  assert.equal(first?.sub, 'rfc822');
  assert.equal(first?.params, null);
  assert.equal(first?.msg?.env.subject, 'one');
  assert.equal(section(raw, index, [1, 1], 'full'), 'First.');
  assert.equal(second?.type, 'text');
});

test('a multipart without a boundary parameter becomes one opaque part', () => {
  const index = indexMessage(Buffer.from('Content-Type: multipart/mixed\r\n\r\n--x\r\nhello\r\n'));
  assert.equal(index.root.parts, null);
  assert.equal(index.root.type, 'application');
  assert.equal(index.root.sub, 'octet-stream');
});

test('a boundary that is a prefix of a longer line is not a delimiter', () => {
  const raw = Buffer.from(
    'Content-Type: multipart/mixed; boundary=ab\r\n\r\n--ab\r\n\r\none\r\n--abc\r\nstill one\r\n--ab\r\n\r\ntwo\r\n--ab--\r\n',
  );
  const index = indexMessage(raw);
  assert.equal(index.root.parts?.length, 2);
  assert.equal(section(raw, index, [1], 'full'), 'one\r\n--abc\r\nstill one');
  assert.equal(section(raw, index, [2], 'full'), 'two');
});

test('nested multiparts: an inner multipart missing its close delimiter ends at the outer boundary', () => {
  const raw = Buffer.from(
    [
      'Content-Type: multipart/mixed; boundary=out',
      '',
      '--out',
      'Content-Type: multipart/alternative; boundary=in',
      '',
      '--in',
      '',
      'a',
      '--in',
      '',
      'b',
      '--out',
      '',
      'c',
      '--out--',
      '',
    ].join('\r\n'),
  );
  const index = indexMessage(raw);
  assert.equal(index.root.parts?.length, 2);
  assert.equal(index.root.parts?.[0]?.parts?.length, 2);
  assert.equal(section(raw, index, [1, 2], 'full'), 'b');
  assert.equal(section(raw, index, [2], 'full'), 'c');
});

test('header folded lines, a header-only message, and a header without a blank line', () => {
  const only = indexMessage(Buffer.from('Subject: hi\r\n'));
  assert.equal(only.root.hl, 13);
  assert.equal(only.root.bl, 0);
  assert.equal(only.env.subject, 'hi');
  const folded = indexMessage(Buffer.from('Subject: a\r\n  b\r\nX: y\r\nbody\r\n'));
  assert.equal(folded.env.subject, 'a  b');
  assert.equal(folded.root.hl, 23, 'the header ends at the first line that is not a field');
});
