// Address-list parsing for ENVELOPE (RFC 5322 §3.4, RFC 3501 §7.4.2 group markers).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAddressList } from '../../src/mime/address.js';
import type { Address } from '../../src/mime/types.js';

function a(name: string | null, mailbox: string | null, host: string | null, adl: string | null = null): Address {
  return { name, adl, mailbox, host };
}
const END = a(null, null, null);

test('name-addr, addr-spec and quoted display names', () => {
  assert.deepEqual(parseAddressList('"Joe Q. Public" <john.q.public@example.com>'), [
    a('Joe Q. Public', 'john.q.public', 'example.com'),
  ]);
  assert.deepEqual(parseAddressList('Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>'), [
    a('Mary Smith', 'mary', 'x.test'),
    a(null, 'jdoe', 'example.org'),
    a('Who?', 'one', 'y.test'),
  ]);
  assert.deepEqual(parseAddressList('"Giant; \\"Big\\" Box" <sysservices@example.net>'), [
    a('Giant; "Big" Box', 'sysservices', 'example.net'),
  ]);
});

test('obsolete forms: unquoted dots in names, route addresses, comments as names, CFWS in local parts', () => {
  assert.deepEqual(parseAddressList('Joe Q. Public <john@example.com>'), [a('Joe Q. Public', 'john', 'example.com')]);
  assert.deepEqual(parseAddressList('<@a.test,@b.test:joe@c.test>'), [a(null, 'joe', 'c.test', '@a.test,@b.test')]);
  assert.deepEqual(parseAddressList('pete@silly.test (Pete Comment)'), [a('Pete Comment', 'pete', 'silly.test')]);
  assert.deepEqual(parseAddressList('john . doe @ example . com'), [a(null, 'john.doe', 'example.com')]);
  assert.deepEqual(parseAddressList('"quoted local"@example.com'), [a(null, '"quoted local"', 'example.com')]);
});

test('groups become IMAP group start and end markers', () => {
  assert.deepEqual(parseAddressList('undisclosed-recipients:;'), [a(null, 'undisclosed-recipients', null), END]);
  assert.deepEqual(parseAddressList('A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;, x@y.test'), [
    a(null, 'A Group', null),
    a('Ed Jones', 'c', 'a.test'),
    a(null, 'joe', 'where.test'),
    a('John', 'jdoe', 'one.test'),
    END,
    a(null, 'x', 'y.test'),
  ]);
  assert.deepEqual(parseAddressList('Unclosed: a@b.test'), [a(null, 'Unclosed', null), a(null, 'a', 'b.test'), END]);
});

test('RFC 2047 words in names stay encoded', () => {
  assert.deepEqual(parseAddressList('=?utf-8?q?J=C3=B6rg?= <j@x.de>'), [a('=?utf-8?q?J=C3=B6rg?=', 'j', 'x.de')]);
});

test('missing parts and garbage never throw and never give a NIL host outside groups', () => {
  assert.equal(parseAddressList(null), null);
  assert.equal(parseAddressList(''), null);
  assert.equal(parseAddressList(' , ,'), null);
  assert.deepEqual(parseAddressList('nobody'), [a(null, 'nobody', 'MISSING_DOMAIN')]);
  assert.deepEqual(parseAddressList('Name <>'), [a('Name', 'MISSING_MAILBOX', 'MISSING_DOMAIN')]);
  assert.deepEqual(parseAddressList('<a@b'), [a(null, 'a', 'b')]);
  for (const junk of ['"unterminated', '(((', '<<<>>>', '@@@', ':;:;', '\\', '[x', 'g: a, b: c;;', 'x;y,z:']) {
    // A NIL host only ever appears in balanced group markers.
    let depth = 0;
    for (const addr of parseAddressList(junk) ?? []) {
      if (addr.host !== null) continue;
      assert.equal(addr.name, null, junk);
      assert.equal(addr.adl, null, junk);
      depth += addr.mailbox === null ? -1 : 1;
      assert.ok(depth === 0 || depth === 1, junk);
    }
    assert.equal(depth, 0, junk);
  }
  assert.deepEqual(parseAddressList('a@[1.2.3.4]'), [a(null, 'a', '[1.2.3.4]')]);
});
