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

/** HEADER field value, and FROM/TO/CC/BCC/SUBJECT (= HEADER with that field). */
export function headerMatches(hdr: SearchHeaders, field: string, value: string): boolean {
  const name = field.toLowerCase();
  const fields = hdr.fields.filter(([n]) => n === name);
  // HEADER field "" matches every message that has the field (RFC 3501 §6.4.4).
  if (value === '' && fields.length > 0) return true;
  if (fields.some(([, v]) => containsFolded(v, value))) return true;
  const shortcut = SHORTCUTS[name];
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
