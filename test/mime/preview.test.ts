// The preview (RFC 8970) is made in one scan that stops after PREVIEW_CHARS code points (issue #8); it must give
// exactly what the definition gives: the first PREVIEW_CHARS code points of the first PREVIEW_CHARS × 8 characters
// with every run of `\s` collapsed to one space and the ends trimmed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PREVIEW_CHARS, makePreview } from '../../src/mime/body-text.js';

const definition = (text: string): string =>
  Array.from(text.slice(0, PREVIEW_CHARS * 8).replace(/\s+/g, ' ').trim()).slice(0, PREVIEW_CHARS).join('');

test('preview equals its definition on edge cases', () => {
  const cases = [
    '',
    '   ',
    'plain',
    '  lead and trail  ',
    'a\r\n\r\nb\t\tc\u00a0\u2003d\u3000e\ufeff f\u2028g\u2029h\u200bi\u180ej\u0085k',
    '\ud83d\ude00'.repeat(300),
    'x'.repeat(PREVIEW_CHARS - 1) + ' \ud83d\ude00 tail',
    'x'.repeat(PREVIEW_CHARS - 1) + '   y',
    ' '.repeat(PREVIEW_CHARS * 8 - 1) + 'cut',
    'w '.repeat(PREVIEW_CHARS * 4 - 1) + '\ud83d\ude00',
    'a'.repeat(PREVIEW_CHARS * 8 - 1) + '\ud83d\ude00', // the 1600-character cut splits the pair
    '\udc00 lone low \ud800 lone high',
  ];
  for (const text of cases) assert.equal(makePreview(text), definition(text), JSON.stringify(text.slice(0, 60)));
});

test('preview equals its definition on random text', () => {
  const alphabet = ['a', 'b', 'é', ' ', ' ', '\t', '\n', '\r', '\u00a0', '\u2003', '\u3000', '\ufeff', '\u200b', '\ud83d\ude00', '\ud83d', '\ude00'];
  let seed = 42;
  const random = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  for (let n = 0; n < 3000; n++) {
    const length = Math.floor(random() * (random() < 0.5 ? 40 : 2400));
    let text = '';
    for (let i = 0; i < length; i++) text += alphabet[Math.floor(random() * alphabet.length)];
    assert.equal(makePreview(text), definition(text), JSON.stringify(text.slice(0, 60)));
  }
});
