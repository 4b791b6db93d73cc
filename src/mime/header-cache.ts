// Decoded header values for SEARCH (FROM, TO, CC, BCC, SUBJECT, HEADER, SENT*) and SORT, so that neither needs the
// raw message. RFC 2047 words are decoded to UTF-8 (RFC 3501 §6.4.4 searches the decoded text).
import libmime from 'libmime';
import { parseDate } from './date.js';
import type { HeaderField } from './header-block.js';
import { firstField } from './header-block.js';
import type { HeaderCache } from './types.js';

/** Longest single decoded value kept (longer ones are cut; SEARCH HEADER then sees the start only). */
export const MAX_HEADER_VALUE = 16 * 1024;
/** Total characters of header values kept in `fields`, and the most fields kept. */
export const MAX_HEADER_CACHE = 64 * 1024;
export const MAX_HEADER_FIELDS = 500;

export function decodeHeaderValue(value: string): string {
  if (!value.includes('=?')) return value;
  try {
    return libmime.decodeWords(value);
  } catch {
    return value;
  }
}

function cut(value: string): string {
  return value.length > MAX_HEADER_VALUE ? value.slice(0, MAX_HEADER_VALUE) : value;
}

function decoded(fields: readonly HeaderField[], name: string): string | null {
  const value = firstField(fields, name);
  return value === null ? null : cut(decodeHeaderValue(value));
}

export function buildHeaderCache(fields: readonly HeaderField[]): HeaderCache {
  const all: [string, string][] = [];
  let total = 0;
  for (const f of fields) {
    if (all.length >= MAX_HEADER_FIELDS || total >= MAX_HEADER_CACHE) break;
    const value = cut(decodeHeaderValue(f.value)).slice(0, MAX_HEADER_CACHE - total);
    total += value.length;
    all.push([f.name, value]);
  }
  const references = firstField(fields, 'references');
  return {
    from: decoded(fields, 'from'),
    to: decoded(fields, 'to'),
    cc: decoded(fields, 'cc'),
    bcc: decoded(fields, 'bcc'),
    subject: decoded(fields, 'subject'),
    date: parseDate(firstField(fields, 'date')),
    messageId: firstField(fields, 'message-id'),
    inReplyTo: firstField(fields, 'in-reply-to'),
    references: references === null ? null : cut(references),
    fields: all,
  };
}
