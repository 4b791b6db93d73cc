// Decoded text of a message for SEARCH BODY / TEXT and for the preview (RFC 8970). Only text/* parts are decoded;
// attachments of other types are never touched, so a large binary attachment costs nothing here.
import { decode as decodeCharset } from 'libmime/lib/charset.js';
import { htmlToText } from './html-text.js';
import { param } from './content-fields.js';
import { decodeTransfer } from './transfer-decode.js';
import type { MimePart } from './types.js';

/** Cap on the UTF-8 size of the stored search text (the cold item must stay well below DynamoDB's 400 KB). */
export const MAX_TEXT_BYTES = 256 * 1024;
/** Cap on the encoded bytes read from one text part (bounds the work for a huge text attachment). */
const MAX_PART_INPUT = 1024 * 1024;
/** Preview length in characters (RFC 8970 allows up to 256). */
export const PREVIEW_CHARS = 200;

function partText(buf: Buffer, part: MimePart): string {
  const length = Math.min(part.bl, MAX_PART_INPUT);
  const bytes = decodeTransfer(buf.subarray(part.bs, part.bs + length), part.enc);
  const charset = param(part.params, 'charset');
  let text: string;
  try {
    text = charset === null || /^(us-)?ascii$/i.test(charset) ? bytes.toString('utf8') : decodeCharset(bytes, charset);
  } catch {
    text = bytes.toString('utf8');
  }
  if (part.sub === 'html') text = htmlToText(text);
  return lfOnly(text);
}

/** CRLF and lone CR as LF. String replaceAll first: most text has only CRLF, and a regular expression costs ~2× more. */
function lfOnly(text: string): string {
  if (!text.includes('\r')) return text;
  const crlf = text.replaceAll('\r\n', '\n');
  return crlf.includes('\r') ? crlf.replace(/\r/g, '\n') : crlf;
}

/** The alternative that best represents the content for search: text/plain if there is one, else the last. */
function chooseAlternative(parts: readonly MimePart[]): MimePart | undefined {
  for (let i = parts.length - 1; i >= 0; i--) {
    const p = parts[i] as MimePart;
    if (p.type === 'text' && p.sub === 'plain') return p;
  }
  return parts[parts.length - 1];
}

function collect(buf: Buffer, part: MimePart, out: string[], budget: { left: number }): void {
  if (budget.left <= 0) return;
  if (part.parts !== null) {
    const children = part.sub === 'alternative' ? [chooseAlternative(part.parts)] : part.parts;
    for (const child of children) if (child !== undefined) collect(buf, child, out, budget);
    return;
  }
  if (part.msg !== null) {
    collect(buf, part.msg.root, out, budget);
    return;
  }
  if (part.type !== 'text') return;
  const text = partText(buf, part);
  if (text.trim() === '') return;
  out.push(text);
  budget.left -= Buffer.byteLength(text);
}

/** Cuts a string to at most `max` UTF-8 bytes without splitting a character. */
function capUtf8(text: string, max: number): string {
  if (text.length <= max / 3 || Buffer.byteLength(text) <= max) return text;
  return Buffer.from(text, 'utf8').subarray(0, max).toString('utf8').replace(/\uFFFD+$/, '');
}

export function extractText(buf: Buffer, root: MimePart): string {
  const out: string[] = [];
  collect(buf, root, out, { left: MAX_TEXT_BYTES });
  return capUtf8(out.join('\n'), MAX_TEXT_BYTES);
}

/** What `\s` matches outside ASCII (rare in text: tested with the regular expression itself, so both agree). */
const UNICODE_SPACE = /\s/;

/** True for the characters `\s` matches (ECMA-262 WhiteSpace and LineTerminator). */
function isSpace(c: number, text: string, i: number): boolean {
  if (c < 0x80) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  return UNICODE_SPACE.test(text[i]!);
}

/**
 * First PREVIEW_CHARS characters of the text with whitespace collapsed (whole code points): the first PREVIEW_CHARS
 * code points of `text.slice(0, PREVIEW_CHARS * 8).replace(/\s+/g, ' ').trim()`, found in one scan that stops once
 * it has them (issue #8: collapsing all 1600 characters and splitting them into an array was ~25 % of indexing).
 */
export function makePreview(text: string): string {
  const end = Math.min(text.length, PREVIEW_CHARS * 8);
  let out = '';
  let points = 0;
  let space = false; // whitespace seen since the last character kept (emitted only before a next one: trim)
  let i = 0;
  while (i < end && points < PREVIEW_CHARS) {
    const c = text.charCodeAt(i);
    if (isSpace(c, text, i)) {
      space = out !== '';
      i++;
      continue;
    }
    if (space) {
      out += ' ';
      space = false;
      if (++points === PREVIEW_CHARS) break;
    }
    // A surrogate pair is one code point (as Array.from counts), unless the 1600-character cut split it.
    const pair = c >= 0xd800 && c <= 0xdbff && i + 1 < end && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
    const run = pair ? 2 : 1;
    out += text.slice(i, i + run);
    i += run;
    points++;
  }
  return out;
}
