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
  return text.replace(/\r\n?/g, '\n');
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

/** First PREVIEW_CHARS characters of the text with whitespace collapsed (whole code points). */
export function makePreview(text: string): string {
  const collapsed = text.slice(0, PREVIEW_CHARS * 8).replace(/\s+/g, ' ').trim();
  return Array.from(collapsed).slice(0, PREVIEW_CHARS).join('');
}
