// Header columns (search-match.ts headerColumn / columnMatches: one string per field for a whole search segment) must
// answer every key they take exactly as foldedKeyMatches answers it message by message: no match across two values
// or two messages, messages without the field skipped, several values of one field, the decoded shortcut, NUL inside
// a value, and Unicode case folding.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  columnAnswers,
  columnMatches,
  foldHeaders,
  foldKey,
  foldedKeyMatches,
  headerColumn,
  type SearchHeaders,
  type TextKey,
} from '../../src/mime/search-match.js';

const none: SearchHeaders = { from: null, to: null, cc: null, bcc: null, subject: null, fields: [] };
const docs: SearchHeaders[] = [
  { ...none, from: 'Jürgen Müller <juergen@example.de>', subject: 'Grüße aus İstanbul', fields: [['from', '=?utf-8?q?J=C3=BCrgen?= <juergen@example.de>'], ['subject', 'Grüße aus İstanbul']] },
  none,
  { ...none, from: 'ab', fields: [['from', 'ab'], ['from', 'cd']] },
  { ...none, from: 'ef', fields: [['from', 'ef']] },
  { ...none, subject: 'nul\0inside', fields: [['subject', 'nul\0inside']] },
  { ...none, to: 'ΟΔΥΣΣΕΥΣ <odysseus@example.gr>', fields: [['to', 'ΟΔΥΣΣΕΥΣ <odysseus@example.gr>']] },
  none,
  { ...none, from: 'Carol <carol@example.org>', fields: [['from', 'Carol <carol@example.org>']] },
];

const keys: TextKey[] = [
  { kind: 'header', field: 'FROM', value: 'müller' },
  { kind: 'header', field: 'from', value: 'J=C3' }, // the raw field, not the decoded shortcut
  { kind: 'header', field: 'from', value: 'b' },
  { kind: 'header', field: 'from', value: 'bc' }, // across two values of one message: no match
  { kind: 'header', field: 'from', value: 'de' }, // across two messages ("cd" "ef"): no match
  { kind: 'header', field: 'from', value: 'carol' },
  { kind: 'header', field: 'from', value: '>' },
  { kind: 'header', field: 'subject', value: 'i̇stanbul' },
  { kind: 'header', field: 'subject', value: 'INSIDE' },
  { kind: 'header', field: 'subject', value: 'nul' },
  { kind: 'header', field: 'to', value: 'οδυσσευς' },
  { kind: 'header', field: 'cc', value: 'x' },
  { kind: 'header', field: 'bcc', value: 'anything' },
];

describe('header columns', () => {
  const heads = docs.map(foldHeaders);

  it('answer each key they take as foldedKeyMatches does on every message', () => {
    for (const key of keys) {
      const folded = foldKey(key);
      assert.ok(columnAnswers(folded), `${JSON.stringify(key)} is a column key`);
      const expected = heads.flatMap((h, d) => (foldedKeyMatches(folded, h, undefined) ? [d] : []));
      assert.deepEqual(columnMatches(headerColumn(heads, folded.name), folded.folded), expected, JSON.stringify(key));
    }
  });

  it('leave the empty value, a NUL in the value, other fields and body keys to the per-message match', () => {
    assert.equal(columnAnswers(foldKey({ kind: 'header', field: 'from', value: '' })), false);
    assert.equal(columnAnswers(foldKey({ kind: 'header', field: 'subject', value: 'nul\0in' })), false);
    assert.equal(columnAnswers(foldKey({ kind: 'header', field: 'x-tag', value: 'alpha' })), false);
    assert.equal(columnAnswers(foldKey({ kind: 'header', field: 'constructor', value: 'x' })), false);
    assert.equal(columnAnswers(foldKey({ kind: 'body', value: 'x' })), false);
    assert.equal(columnAnswers(foldKey({ kind: 'text', value: 'x' })), false);
  });

  it('give every message of a segment of none', () => {
    assert.deepEqual(columnMatches(headerColumn([], 'from'), 'a'), []);
    assert.deepEqual(columnMatches(headerColumn([foldHeaders(none)], 'from'), 'a'), []);
  });
});
