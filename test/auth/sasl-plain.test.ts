import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeSaslPlain, parseSaslPlain, SaslPlainError } from '../../src/auth/sasl-plain.js';
import type { SaslPlainFailure } from '../../src/auth/sasl-plain.js';

const b64 = (text: string | Buffer): string => Buffer.from(text).toString('base64');

function failsWith(reason: SaslPlainFailure) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof SaslPlainError, `expected SaslPlainError, got ${String(error)}`);
    assert.equal(error.reason, reason);
    return true;
  };
}

describe('decodeSaslPlain', () => {
  it('decodes a message without authzid (RFC 4616 §4 example)', () => {
    assert.deepEqual(decodeSaslPlain(b64('\0tim\0tanstaaftanstaaf')), {
      authzid: undefined,
      authcid: 'tim',
      password: 'tanstaaftanstaaf',
    });
  });

  it('decodes a message with authzid (RFC 4616 §4 example)', () => {
    assert.deepEqual(decodeSaslPlain(b64('Ursel\0Kurt\0xipj3plmq')), {
      authzid: 'Ursel',
      authcid: 'Kurt',
      password: 'xipj3plmq',
    });
  });

  it('keeps UTF-8 fields as they are (SASLprep is the verifier’s job)', () => {
    const decoded = decodeSaslPlain(b64('\0m\u00FCller@example.com\0p\u00E4ss w\u00F6rd'));
    assert.equal(decoded.authcid, 'm\u00FCller@example.com');
    assert.equal(decoded.password, 'p\u00E4ss w\u00F6rd');
  });

  it('rejects bad base64', () => {
    for (const input of ['!!!!', 'abc', 'YWJj ZA==', 'YQ=', 'YWJjZA==YQ==', '\0tim\0pw']) {
      assert.throws(() => decodeSaslPlain(input), failsWith('bad-base64'), input);
    }
  });

  it('rejects the wrong number of NULs', () => {
    assert.throws(() => decodeSaslPlain(''), failsWith('wrong-field-count'));
    assert.throws(() => decodeSaslPlain(b64('tim')), failsWith('wrong-field-count'));
    assert.throws(() => decodeSaslPlain(b64('tim\0secret')), failsWith('wrong-field-count'));
    assert.throws(() => decodeSaslPlain(b64('a\0tim\0sec\0ret')), failsWith('wrong-field-count'));
  });

  it('rejects an empty authcid or password', () => {
    assert.throws(() => decodeSaslPlain(b64('\0\0secret')), failsWith('empty-authcid'));
    assert.throws(() => decodeSaslPlain(b64('\0tim\0')), failsWith('empty-password'));
  });

  it('accepts 255-octet fields and rejects longer ones', () => {
    const max = 'x'.repeat(255);
    assert.equal(decodeSaslPlain(b64(`${max}\0${max}\0${max}`)).password, max);
    assert.throws(() => decodeSaslPlain(b64(`\0tim\0${'x'.repeat(256)}`)), failsWith('too-long'));
    assert.throws(() => decodeSaslPlain(b64(`${'x'.repeat(256)}\0tim\0pw`)), failsWith('too-long'));
    assert.throws(() => decodeSaslPlain('A'.repeat(5000)), failsWith('too-long'));
  });

  it('rejects fields that are not UTF-8', () => {
    const bytes = Buffer.concat([Buffer.from('\0tim\0'), Buffer.from([0xc3, 0x28])]);
    assert.throws(() => decodeSaslPlain(b64(bytes)), failsWith('invalid-utf8'));
  });
});

describe('parseSaslPlain', () => {
  it('parses raw bytes and limits their length', () => {
    assert.equal(parseSaslPlain(Buffer.from('\0tim\0pw')).authcid, 'tim');
    assert.throws(() => parseSaslPlain(Buffer.alloc(800, 0x61)), failsWith('too-long'));
  });
});
