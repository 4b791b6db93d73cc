// foldedKeyMatches (text folded once, for cached search segments) must answer exactly what textKeyMatches answers
// on the unfolded text, for every kind of text key, including Unicode case folding and the empty HEADER value.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { foldBody, foldHeaders, foldKey, foldedKeyMatches, textKeyMatches, type SearchHeaders, type TextKey } from '../../src/mime/search-match.js';

const docs: { hdr: SearchHeaders; text: string | null }[] = [
  {
    hdr: {
      from: 'Jürgen Müller <juergen@example.de>',
      to: 'ΟΔΥΣΣΕΥΣ <odysseus@example.gr>',
      cc: null,
      bcc: null,
      subject: 'Grüße aus İstanbul',
      fields: [
        ['from', 'Jürgen Müller <juergen@example.de>'],
        ['to', 'ΟΔΥΣΣΕΥΣ <odysseus@example.gr>'],
        ['subject', 'Grüße aus İstanbul'],
        ['x-tag', 'ALPHA'],
        ['constructor', 'odd field name'],
      ],
    },
    text: 'STRASSE und Straße; ΣΟΦΟΣ zephyrine',
  },
  { hdr: { from: null, to: null, cc: null, bcc: null, subject: null, fields: [] }, text: null },
  { hdr: { from: 'a@b', to: null, cc: 'Cc Person <cc@x>', bcc: null, subject: '', fields: [['cc', 'Cc Person <cc@x>'], ['subject', '']] }, text: '' },
];

const keys: TextKey[] = [
  { kind: 'header', field: 'FROM', value: 'müller' },
  { kind: 'header', field: 'from', value: 'MÜLLER' },
  { kind: 'header', field: 'To', value: 'οδυσσευς' },
  { kind: 'header', field: 'To', value: 'ΟΔΥΣΣΕΥΣ' },
  { kind: 'header', field: 'subject', value: 'i̇stanbul' },
  { kind: 'header', field: 'subject', value: '' },
  { kind: 'header', field: 'x-tag', value: '' },
  { kind: 'header', field: 'X-Tag', value: 'alp' },
  { kind: 'header', field: 'cc', value: 'PERSON' },
  { kind: 'header', field: 'bcc', value: '' },
  { kind: 'header', field: 'constructor', value: 'odd' },
  { kind: 'header', field: 'toString', value: '' },
  { kind: 'body', value: 'strasse' },
  { kind: 'body', value: 'σοφος' },
  { kind: 'body', value: 'ΣΟΦΟΣ' },
  { kind: 'body', value: '' },
  { kind: 'text', value: 'x-tag: alpha' },
  { kind: 'text', value: 'ZEPHYRINE' },
  { kind: 'text', value: 'subject: grüße' },
  { kind: 'text', value: 'nowhere' },
];

describe('foldedKeyMatches', () => {
  it('answers as textKeyMatches for every key and message', () => {
    for (const doc of docs) {
      const hdr = foldHeaders(doc.hdr);
      const text = foldBody(doc.text);
      for (const key of keys) {
        let expected: boolean;
        try {
          expected = textKeyMatches(key, doc.hdr, doc.text);
        } catch {
          expected = false;
        }
        assert.equal(foldedKeyMatches(foldKey(key), hdr, text), expected, `${JSON.stringify(key)} on ${JSON.stringify(doc.hdr.from)}`);
      }
    }
  });

  it('matches header keys without the body (a header-only segment read)', () => {
    const hdr = foldHeaders(docs[0]!.hdr);
    assert.equal(foldedKeyMatches(foldKey({ kind: 'header', field: 'from', value: 'JÜRGEN' }), hdr, undefined), true);
    assert.equal(foldedKeyMatches(foldKey({ kind: 'body', value: 'strasse' }), hdr, undefined), false);
  });

  it('HEADER "constructor" is an ordinary field name, not an object property', () => {
    assert.equal(textKeyMatches({ kind: 'header', field: 'constructor', value: 'odd' }, docs[0]!.hdr, null), true);
    assert.equal(textKeyMatches({ kind: 'header', field: 'toString', value: '' }, docs[0]!.hdr, null), false);
  });
});
