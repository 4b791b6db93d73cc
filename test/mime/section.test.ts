// partRange / findPart: IMAP section numbering (RFC 3501 §6.4.5) to byte ranges.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findPart, partRange } from '../../src/mime/section.js';
import { load, section } from './helpers.js';

test('a non-multipart message: part 1 is its body, 1.MIME its header; [] covers the whole message', () => {
  const { raw, index } = load('simple');
  assert.deepEqual(partRange(index, [], 'full'), { start: 0, length: raw.length });
  assert.equal(section(raw, index, [1], 'full'), 'Hello IMAP world.\r\nSecond line.\r\n');
  assert.equal(section(raw, index, [1], 'body'), 'Hello IMAP world.\r\nSecond line.\r\n');
  assert.equal(section(raw, index, [], 'body'), 'Hello IMAP world.\r\nSecond line.\r\n');
  assert.equal(section(raw, index, [1], 'mime'), section(raw, index, [], 'header'));
  assert.ok((section(raw, index, [], 'header') ?? '').endsWith('CHARSET=US-ASCII\r\n\r\n'));
  assert.equal(partRange(index, [2], 'full'), null);
  assert.equal(partRange(index, [1, 1], 'full'), null);
});

test('sections that do not exist are null', () => {
  const { index } = load('nested-rfc822');
  assert.equal(partRange(index, [], 'mime'), null, 'the message itself has no MIME header section');
  assert.equal(partRange(index, [1], 'header'), null, 'HEADER needs a message/rfc822 part');
  assert.equal(partRange(index, [1], 'text'), null);
  assert.equal(partRange(index, [0], 'full'), null);
  assert.equal(partRange(index, [-1], 'full'), null);
  assert.equal(partRange(index, [1.5], 'full'), null);
  assert.equal(partRange(index, [3], 'full'), null);
  assert.equal(partRange(index, [2, 1, 1], 'full'), null);
  assert.equal(findPart(index, [2])?.sub, 'rfc822');
  assert.equal(findPart(index, [2, 2])?.sub, 'html');
});

test('multipart part ranges: BODY[n] of a multipart is its body with the boundaries', () => {
  const { raw, index } = load('nested-rfc822');
  const text = section(raw, index, [2], 'text') ?? '';
  assert.ok(text.startsWith('--INNER\r\n') && text.endsWith('--INNER--\r\n'));
});
