// SASLprep (RFC 4013), the string preparation SCRAM applies to user names and passwords (RFC 5802 §2.2, §5.1).
//
// Implemented subset, as a query-string profile (unassigned code points are allowed, RFC 5802 §5.1):
//   - §2.1 mapping: non-ASCII space characters (RFC 3454 C.1.2) become U+0020, then the "commonly mapped to
//     nothing" characters (RFC 3454 B.1) are removed. The order matches the widely used `saslprep` npm package,
//     so U+200B (listed in both tables) becomes a space.
//   - §2.2 normalisation: Unicode NFKC.
//   - §2.3 prohibited output: RFC 3454 C.1.2, C.2.1, C.2.2, C.3, C.4, C.5, C.6, C.7, C.8 and C.9.
// Not implemented: the bidirectional-text check of §2.4 (RFC 3454 §6), which needs the Unicode Bidi_Class property
// that JavaScript regular expressions do not expose. A string that would fail only that check is accepted.

export class SaslprepError extends Error {
  override readonly name = 'SaslprepError';
  constructor(
    readonly codePoint: number,
    message = `SASLprep: prohibited code point U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`,
  ) {
    super(message);
  }
}

type Ranges = ReadonlyArray<readonly [number, number]>;

// RFC 3454 C.1.2 Non-ASCII space characters.
const NON_ASCII_SPACE: Ranges = [[0x00a0, 0x00a0], [0x1680, 0x1680], [0x2000, 0x200b], [0x202f, 0x202f], [0x205f, 0x205f], [0x3000, 0x3000]];

// RFC 3454 B.1 Commonly mapped to nothing. (Ranges rather than a regular expression: several are combining marks.)
const MAPPED_TO_NOTHING: Ranges = [
  [0x00ad, 0x00ad], [0x034f, 0x034f], [0x1806, 0x1806], [0x180b, 0x180d], [0x200b, 0x200d], [0x2060, 0x2060],
  [0xfe00, 0xfe0f], [0xfeff, 0xfeff],
];

// RFC 3454 tables of prohibited output, as code point ranges.
const PROHIBITED: Ranges = [
  // C.1.2 non-ASCII space (none can survive the mapping above, kept for completeness of the check)
  [0x00a0, 0x00a0], [0x1680, 0x1680], [0x2000, 0x200b], [0x202f, 0x202f], [0x205f, 0x205f], [0x3000, 0x3000],
  // C.2.1 ASCII control characters
  [0x0000, 0x001f], [0x007f, 0x007f],
  // C.2.2 non-ASCII control characters
  [0x0080, 0x009f], [0x06dd, 0x06dd], [0x070f, 0x070f], [0x180e, 0x180e], [0x200c, 0x200d], [0x2028, 0x2029],
  [0x2060, 0x2063], [0x206a, 0x206f], [0xfeff, 0xfeff], [0xfff9, 0xfffc], [0x1d173, 0x1d17a],
  // C.3 private use
  [0xe000, 0xf8ff], [0xf0000, 0xffffd], [0x100000, 0x10fffd],
  // C.4 non-character code points (the per-plane xFFFE/xFFFF pairs are checked separately below)
  [0xfdd0, 0xfdef],
  // C.5 surrogate codes (a lone surrogate in a JavaScript string)
  [0xd800, 0xdfff],
  // C.6 inappropriate for plain text
  [0xfff9, 0xfffd],
  // C.7 inappropriate for canonical representation
  [0x2ff0, 0x2ffb],
  // C.8 change display properties or deprecated
  [0x0340, 0x0341], [0x200e, 0x200f], [0x202a, 0x202e], [0x206a, 0x206f],
  // C.9 tagging characters
  [0xe0001, 0xe0001], [0xe0020, 0xe007f],
];

function inRanges(codePoint: number, ranges: Ranges): boolean {
  return ranges.some(([low, high]) => codePoint >= low && codePoint <= high);
}

function isProhibited(codePoint: number): boolean {
  if ((codePoint & 0xfffe) === 0xfffe) return true; // C.4: U+xFFFE and U+xFFFF in every plane
  return inRanges(codePoint, PROHIBITED);
}

/** RFC 4013 §2.1: spaces first, then the characters mapped to nothing (U+200B is in both tables). */
function map(input: string): string {
  let out = '';
  for (const char of input) {
    const codePoint = char.codePointAt(0) ?? 0;
    if (inRanges(codePoint, NON_ASCII_SPACE)) out += ' ';
    else if (!inRanges(codePoint, MAPPED_TO_NOTHING)) out += char;
  }
  return out;
}

/** Prepares a string with (a documented subset of) SASLprep; throws SaslprepError on prohibited output. */
export function saslprep(input: string): string {
  const normalised = map(input).normalize('NFKC');
  for (const char of normalised) {
    const codePoint = char.codePointAt(0) ?? 0;
    if (isProhibited(codePoint)) throw new SaslprepError(codePoint);
  }
  return normalised;
}
