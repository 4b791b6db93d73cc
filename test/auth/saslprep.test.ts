// SASLprep subset (RFC 4013). The examples are those of RFC 4013 §3, except example 7 (bidi), which the subset
// does not implement (see src/auth/saslprep.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { saslprep, SaslprepError } from '../../src/auth/saslprep.js';

describe('saslprep', () => {
  it('passes the RFC 4013 §3 examples', () => {
    assert.equal(saslprep('I\u00ADX'), 'IX'); // soft hyphen mapped to nothing
    assert.equal(saslprep('user'), 'user');
    assert.equal(saslprep('USER'), 'USER'); // case is preserved
    assert.equal(saslprep('\u00AA'), 'a'); // NFKC
    assert.equal(saslprep('\u2168'), 'IX'); // NFKC
    assert.throws(() => saslprep('\u0007'), SaslprepError); // prohibited
  });

  it('maps non-ASCII spaces to SPACE and zero-width characters to nothing', () => {
    assert.equal(saslprep('a\u00A0b\u3000c\u2003d'), 'a b c d');
    assert.equal(saslprep('a\u200Db\uFEFFc\u2060d'), 'abcd');
  });

  it('rejects controls, private use, non-characters, surrogates, tags and display-changing characters', () => {
    for (const input of ['a\u0000', 'a\u007F', '\u0085', '\uE000', '\uFDD0', '\uFFFF', '\u{1FFFE}', '\uD800', '\u202E', '\u{E0041}', '\u2FF0']) {
      assert.throws(() => saslprep(input), SaslprepError, JSON.stringify(input));
    }
  });

  it('names the offending code point', () => {
    assert.throws(() => saslprep('ok\u0007'), (error: unknown) => {
      assert.ok(error instanceof SaslprepError);
      assert.equal(error.codePoint, 7);
      assert.match(error.message, /U\+0007/);
      return true;
    });
  });
});
