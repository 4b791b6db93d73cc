// The text keys of SEARCH (RFC 3501 §6.4.4, RFC 9051 §6.4.4: HEADER, FROM/TO/CC/BCC/SUBJECT, BODY, TEXT) matched
// against the decoded text of one message. One implementation for both places that match: the IMAP evaluator on a
// cold item (src/imap/session/search-evaluator.ts) and the mail store on a search segment
// (src/mailstore/search-segments.ts), so a sealed message matches exactly as an unsealed one.
import type { HeaderCache } from './types.js';

/** What a header key looks at: the decoded header cache's shortcuts and every field (HeaderCache). */
export type SearchHeaders = Pick<HeaderCache, 'from' | 'to' | 'cc' | 'bcc' | 'subject' | 'fields'>;

/** A text key of SEARCH, as the mail store is asked it (the shape of `message.searchText`'s keys). */
export type TextKey = { kind: 'header'; field: string; value: string } | { kind: 'body'; value: string } | { kind: 'text'; value: string };

/** "case-insensitive substring"; we fold case with toLowerCase (Unicode-aware enough here). */
export function containsFolded(haystack: string | null, needle: string): boolean {
  if (haystack === null) return false;
  return haystack.toLowerCase().includes(needle.toLowerCase());
}

const SHORTCUTS: Readonly<Record<string, 'from' | 'to' | 'cc' | 'bcc' | 'subject'>> = {
  from: 'from',
  to: 'to',
  cc: 'cc',
  bcc: 'bcc',
  subject: 'subject',
};

/** Own properties only: HEADER "constructor" is a field name like any other. */
function shortcutOf(name: string): 'from' | 'to' | 'cc' | 'bcc' | 'subject' | undefined {
  return Object.hasOwn(SHORTCUTS, name) ? SHORTCUTS[name] : undefined;
}

/** HEADER field value, and FROM/TO/CC/BCC/SUBJECT (= HEADER with that field). */
export function headerMatches(hdr: SearchHeaders, field: string, value: string): boolean {
  const name = field.toLowerCase();
  const fields = hdr.fields.filter(([n]) => n === name);
  // HEADER field "" matches every message that has the field (RFC 3501 §6.4.4).
  if (value === '' && fields.length > 0) return true;
  if (fields.some(([, v]) => containsFolded(v, value))) return true;
  const shortcut = shortcutOf(name);
  return shortcut !== undefined && containsFolded(hdr[shortcut], value);
}

/** BODY: the decoded text of the text parts. */
export function bodyMatches(text: string | null, value: string): boolean {
  return containsFolded(text, value);
}

/** TEXT: the header fields or the body. */
export function textMatches(hdr: SearchHeaders, text: string | null, value: string): boolean {
  return containsFolded(text, value) || hdr.fields.some(([n, v]) => containsFolded(`${n}: ${v}`, value));
}

/** Whether `key` needs the body text (BODY, TEXT) or only the headers. */
export function needsBody(key: TextKey): boolean {
  return key.kind !== 'header';
}

export function textKeyMatches(key: TextKey, hdr: SearchHeaders, text: string | null): boolean {
  switch (key.kind) {
    case 'header':
      return headerMatches(hdr, key.field, key.value);
    case 'body':
      return bodyMatches(text, key.value);
    case 'text':
      return textMatches(hdr, text, key.value);
  }
}

/**
 * One message's searchable text folded once (toLowerCase), for matching many keys and many searches against it: what
 * a cached search segment keeps (mailstore/search-segments.ts). `foldedKeyMatches` on it answers exactly what
 * `textKeyMatches` answers on the unfolded text, since every comparison above folds both sides the same way.
 */
export interface FoldedHeaders {
  /** Field names as the header cache keeps them (lower case), and their values folded, pairwise. */
  names: string[];
  values: string[];
  from: string | null;
  to: string | null;
  cc: string | null;
  bcc: string | null;
  subject: string | null;
  /** `name: value` folded, per field (TEXT keys); made on first use. */
  lines?: string[];
}

const fold = (s: string | null): string | null => (s === null ? null : s.toLowerCase());

export function foldHeaders(hdr: SearchHeaders): FoldedHeaders {
  return {
    names: hdr.fields.map(([n]) => n),
    values: hdr.fields.map(([, v]) => v.toLowerCase()),
    from: fold(hdr.from),
    to: fold(hdr.to),
    cc: fold(hdr.cc),
    bcc: fold(hdr.bcc),
    subject: fold(hdr.subject),
  };
}

export function foldBody(text: string | null): string | null {
  return fold(text);
}

/** A text key with its value folded once. */
export type FoldedKey = TextKey & { readonly folded: string; readonly name: string };

export function foldKey(key: TextKey): FoldedKey {
  return { ...key, folded: key.value.toLowerCase(), name: key.kind === 'header' ? key.field.toLowerCase() : '' };
}

/** `textKeyMatches` over folded text. `text` undefined: the body was not read (only header keys may be asked then). */
export function foldedKeyMatches(key: FoldedKey, hdr: FoldedHeaders, text: string | null | undefined): boolean {
  switch (key.kind) {
    case 'header': {
      const { names, values } = hdr;
      for (let i = 0; i < names.length; i++) {
        if (names[i] !== key.name) continue;
        // HEADER field "" matches every message that has the field (RFC 3501 §6.4.4).
        if (key.folded === '' || values[i]!.includes(key.folded)) return true;
      }
      const shortcut = shortcutOf(key.name);
      if (shortcut === undefined) return false;
      const value = hdr[shortcut];
      return value !== null && value.includes(key.folded);
    }
    case 'body':
      return text != null && text.includes(key.folded);
    case 'text': {
      if (text != null && text.includes(key.folded)) return true;
      // Folding `name: value` whole equals folding its parts: the only context-dependent lower-casing (final sigma,
      // Unicode SpecialCasing) cannot see across ": ", a space being neither cased nor case-ignorable.
      hdr.lines ??= hdr.names.map((n, i) => `${n.toLowerCase()}: ${hdr.values[i]!}`);
      return hdr.lines.some((line) => line.includes(key.folded));
    }
  }
}

/**
 * One header field of many messages as one string, so that a header key is answered with a few `indexOf` calls over
 * it instead of a walk over every message's fields: each message's values of the field, then its decoded shortcut
 * (FROM, SUBJECT …), each followed by NUL. `starts[d]` is where message d's part begins; `starts[n]` is the end.
 */
export interface HeaderColumn {
  text: string;
  starts: number[];
}

/** Only these fields get a column (a bounded number per segment, whatever HEADER names clients send). */
export function hasColumn(name: string): boolean {
  return shortcutOf(name) !== undefined;
}

export function headerColumn(heads: readonly FoldedHeaders[], name: string): HeaderColumn {
  const shortcut = shortcutOf(name);
  const parts: string[] = [];
  const starts: number[] = [];
  let at = 0;
  for (const hdr of heads) {
    starts.push(at);
    for (let i = 0; i < hdr.names.length; i++) {
      if (hdr.names[i] !== name) continue;
      parts.push(hdr.values[i]!, '\0');
      at += hdr.values[i]!.length + 1;
    }
    const value = shortcut === undefined ? null : hdr[shortcut];
    if (value !== null) {
      parts.push(value, '\0');
      at += value.length + 1;
    }
  }
  starts.push(at);
  return { text: parts.join(''), starts };
}

/**
 * Whether `columnMatches` answers a key exactly as `foldedKeyMatches` does: a header key with a non-empty value
 * (HEADER field "" asks whether the field exists, which a column does not tell) that holds no NUL, so that no match
 * can run across two values or two messages.
 */
export function columnAnswers(key: FoldedKey): boolean {
  return key.kind === 'header' && key.folded !== '' && !key.folded.includes('\0') && hasColumn(key.name);
}

/** The messages (indexes into the column's heads, ascending) whose part of `column` contains `needle`. */
export function columnMatches(column: HeaderColumn, needle: string): number[] {
  const { text, starts } = column;
  const out: number[] = [];
  let pos = text.indexOf(needle);
  while (pos >= 0) {
    // The last message whose part starts at or before pos (a message with no part starts where the next one does).
    let lo = 0;
    let hi = starts.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (starts[mid]! <= pos) lo = mid;
      else hi = mid;
    }
    out.push(lo);
    pos = text.indexOf(needle, starts[lo + 1]!);
  }
  return out;
}
