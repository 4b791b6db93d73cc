// Modified UTF-7 mailbox names (RFC 3501 §5.1.3) and INBOX case-insensitivity (RFC 3501 §5.1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeMailboxName, encodeMailboxName, normaliseInbox } from '../../src/imap/parser/mailbox-name.js';

const PAIRS: ReadonlyArray<readonly [string, string]> = [
  ['INBOX', 'INBOX'],
  ['Entwürfe', 'Entw&APw-rfe'],
  ['~peter/mail/台北/日本語', '~peter/mail/&U,BTFw-/&ZeVnLIqe-'],
  ['Tom & Jerry', 'Tom &- Jerry'],
  ['&&', '&-&-'],
  ['😀 smile', '&2D3eAA- smile'],
  ['Отправленные', '&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-'],
  ['tab\there', 'tab&AAk-here'],
];

test('encode and decode the RFC examples and more', () => {
  for (const [text, wire] of PAIRS) {
    assert.equal(encodeMailboxName(text), wire, text);
    assert.equal(decodeMailboxName(wire), text, wire);
  }
});

test('invalid modified UTF-7 is refused', () => {
  for (const wire of [
    '&', // unterminated
    'a&Jjo', // unterminated shift
    '&Jjo!-', // bad base64 character
    '&AB-', // leftover non-zero bits and an odd byte count
    '&AGE-', // shifted printable ASCII "a"
    '&2D3e-', // lone high surrogate
    '&3gA-', // lone low surrogate
    '&U,A-&U,A-', // two adjacent shifts (must be one)
    'Entw\u00fcrfe', // raw 8-bit
    'a\r\nb', // control characters
    '&AAk', // missing "-"
  ]) {
    assert.equal(decodeMailboxName(wire), null, wire);
  }
});

test('round trip of random UTF-16 text', () => {
  let seed = 1;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  for (let i = 0; i < 2000; i++) {
    let s = '';
    const n = Math.floor(rnd() * 10);
    for (let k = 0; k < n; k++) {
      const pick = rnd();
      if (pick < 0.4) s += String.fromCharCode(0x20 + Math.floor(rnd() * 95));
      else if (pick < 0.8) s += String.fromCharCode(0xa0 + Math.floor(rnd() * 0xd700));
      else s += String.fromCodePoint(0x10000 + Math.floor(rnd() * 0xfffff));
    }
    const wire = encodeMailboxName(s);
    assert.match(wire, /^[\x20-\x7e]*$/);
    assert.equal(decodeMailboxName(wire), s);
  }
});

test('INBOX is case-insensitive, other names are not', () => {
  assert.equal(normaliseInbox('inbox'), 'INBOX');
  assert.equal(normaliseInbox('InBoX'), 'INBOX');
  assert.equal(normaliseInbox('Inbox.Sent'), 'Inbox.Sent');
  assert.equal(normaliseInbox('Sent'), 'Sent');
});
