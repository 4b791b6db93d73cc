// Locating and splitting a header block (RFC 5322 §2.2, §3.6) directly on the bytes. Never throws: a line that is
// neither a header field nor a folded continuation ends the block, so garbage becomes "no headers, all body".

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const TAB = 0x09;
const COLON = 0x3a;

export interface HeaderBlock {
  /** length of the header block including its terminating blank line (0 when there are no headers) */
  length: number;
  /** offset where the body starts (start + length) */
  bodyStart: number;
}

export interface HeaderField {
  /** lower-cased field name */
  name: string;
  /** value unfolded (line breaks removed, RFC 5322 §2.2.3) and trimmed; raw otherwise */
  value: string;
}

/** True when [pos, end) starts with `name:` (field name is printable US-ASCII except colon; obsolete WSP before :). */
function isFieldLine(buf: Uint8Array, pos: number, end: number): boolean {
  let i = pos;
  while (i < end) {
    const c = buf[i] as number;
    if (c === COLON) return i > pos;
    if (c <= SP || c > 0x7e) break;
    i++;
  }
  if (i === pos) return false;
  while (i < end && (buf[i] === SP || buf[i] === TAB)) i++;
  return i < end && buf[i] === COLON;
}

/** Finds where the header block that starts at `start` ends (within [start, end)). */
export function findHeaderEnd(buf: Uint8Array, start: number, end: number): HeaderBlock {
  let pos = start;
  let first = true;
  while (pos < end) {
    let lineEnd = buf.indexOf(LF, pos);
    const next = lineEnd < 0 || lineEnd >= end ? end : lineEnd + 1;
    if (lineEnd < 0 || lineEnd >= end) lineEnd = end;
    const contentEnd = lineEnd > pos && buf[lineEnd - 1] === CR ? lineEnd - 1 : lineEnd;
    if (contentEnd === pos) return { length: next - start, bodyStart: next }; // the blank line belongs to the header
    const c = buf[pos] as number;
    const continuation = !first && (c === SP || c === TAB);
    if (!continuation && !isFieldLine(buf, pos, contentEnd)) {
      // Not a header line: the header block ends here without a blank line; the rest is body.
      return { length: pos - start, bodyStart: pos };
    }
    first = false;
    pos = next;
  }
  return { length: pos - start, bodyStart: pos };
}

const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/** Header text: UTF-8 when valid (RFC 6532), otherwise Latin-1 so that every byte survives as one character. */
export function decodeHeaderBytes(bytes: Uint8Array): string {
  for (let i = 0; i < bytes.length; i++) {
    if ((bytes[i] as number) >= 0x80) {
      try {
        return utf8Strict.decode(bytes);
      } catch {
        return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
      }
    }
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
}

/** Splits a header block's text into fields, unfolding continuation lines. */
export function parseHeaderFields(text: string): HeaderField[] {
  const fields: HeaderField[] = [];
  const lines = text.split('\n');
  let name: string | null = null;
  let value = '';
  const flush = (): void => {
    if (name !== null) fields.push({ name, value: value.trim() });
    name = null;
    value = '';
  };
  for (const rawLine of lines) {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (line === '') {
      flush();
      continue;
    }
    const c = line.charCodeAt(0);
    if ((c === SP || c === TAB) && name !== null) {
      value += line; // unfolding removes only the line break (RFC 5322 §2.2.3)
      continue;
    }
    flush();
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    name = line.slice(0, colon).trimEnd().toLowerCase();
    value = line.slice(colon + 1);
  }
  flush();
  return fields;
}

/** First value of a field, or null. */
export function firstField(fields: readonly HeaderField[], name: string): string | null {
  for (const f of fields) if (f.name === name) return f.value;
  return null;
}
