// Parses one framed IMAP server response (RFC 3501 §7, formal syntax §9) into a small tree: atoms and quoted strings
// become strings, literals Buffers, NIL null, parenthesised lists arrays. Enough for the load generator's checks
// (EXISTS, UIDNEXT, FETCH items, SEARCH), not a full response grammar.

export type ImapValue = string | Buffer | null | ImapValue[];

export interface ResponseText {
  /** The resp-text-code name in "[...]", upper case, e.g. "UIDNEXT"; undefined when there is none. */
  code: string | undefined;
  /** What follows the code name inside the brackets, e.g. "201". */
  codeArgs: string;
  text: string;
}

export type ImapResponse =
  | { kind: 'continuation'; text: string }
  | { kind: 'tagged'; tag: string; status: 'OK' | 'NO' | 'BAD'; resp: ResponseText }
  | { kind: 'status'; status: 'OK' | 'NO' | 'BAD' | 'BYE' | 'PREAUTH'; resp: ResponseText }
  | { kind: 'numbered'; number: number; name: string; values: ImapValue[] }
  | { kind: 'data'; name: string; values: ImapValue[] };

const SP = 0x20;
const STATUS_WORDS = new Set(['OK', 'NO', 'BAD', 'BYE', 'PREAUTH']);

export class ImapParseError extends Error {
  override readonly name = 'ImapParseError';
}

export function parseResponse(bytes: Buffer): ImapResponse {
  const reader = new Reader(bytes);
  if (bytes[0] === 0x2b /* + */) {
    return { kind: 'continuation', text: bytes.toString('utf8', bytes[1] === SP ? 2 : 1) };
  }
  const tag = reader.word();
  reader.expectSpace();
  if (tag !== '*') {
    const status = reader.word().toUpperCase();
    if (status !== 'OK' && status !== 'NO' && status !== 'BAD') throw new ImapParseError(`bad tagged status "${status}"`);
    return { kind: 'tagged', tag, status, resp: reader.responseText() };
  }
  const first = reader.word();
  if (/^\d+$/.test(first)) {
    reader.expectSpace();
    const name = reader.word().toUpperCase();
    return { kind: 'numbered', number: Number(first), name, values: reader.values() };
  }
  const name = first.toUpperCase();
  if (STATUS_WORDS.has(name)) {
    return { kind: 'status', status: name as 'OK' | 'NO' | 'BAD' | 'BYE' | 'PREAUTH', resp: reader.responseText() };
  }
  return { kind: 'data', name, values: reader.values() };
}

/** Turns a FETCH response's list `(NAME value NAME value ...)` into a map keyed by upper-case item name. */
export function fetchItems(values: ImapValue[]): Map<string, ImapValue> {
  const list = values[0];
  if (values.length !== 1 || !Array.isArray(list) || list.length % 2 !== 0) {
    throw new ImapParseError('FETCH response is not one list of name/value pairs');
  }
  const items = new Map<string, ImapValue>();
  for (let i = 0; i < list.length; i += 2) {
    const name = list[i];
    if (typeof name !== 'string') throw new ImapParseError('FETCH item name is not an atom');
    items.set(name.toUpperCase(), list[i + 1] ?? null);
  }
  return items;
}

class Reader {
  private pos = 0;

  constructor(private readonly bytes: Buffer) {}

  private atEnd(): boolean {
    return this.pos >= this.bytes.length;
  }

  private peek(): number | undefined {
    return this.bytes[this.pos];
  }

  expectSpace(): void {
    if (this.peek() !== SP) throw new ImapParseError(`expected SP at ${this.pos}`);
    this.pos++;
  }

  /** A run of non-space bytes (tag, number, response name). */
  word(): string {
    const start = this.pos;
    while (!this.atEnd() && this.peek() !== SP) this.pos++;
    if (this.pos === start) throw new ImapParseError(`expected a word at ${start}`);
    return this.bytes.toString('utf8', start, this.pos);
  }

  /** resp-text = ["[" resp-text-code "]" SP] text (RFC 3501 §9); servers sometimes omit the text. */
  responseText(): ResponseText {
    if (this.peek() === SP) this.pos++;
    let code: string | undefined;
    let codeArgs = '';
    if (this.peek() === 0x5b /* [ */) {
      const close = this.matchingBracket(this.pos);
      const inside = this.bytes.toString('utf8', this.pos + 1, close);
      const space = inside.indexOf(' ');
      code = (space < 0 ? inside : inside.slice(0, space)).toUpperCase();
      codeArgs = space < 0 ? '' : inside.slice(space + 1);
      this.pos = close + 1;
      if (this.peek() === SP) this.pos++;
    }
    return { code, codeArgs, text: this.bytes.toString('utf8', this.pos) };
  }

  /** Space-separated values up to the end of the response. */
  values(): ImapValue[] {
    const out: ImapValue[] = [];
    while (!this.atEnd()) {
      this.expectSpace();
      out.push(this.value());
    }
    return out;
  }

  private value(): ImapValue {
    const c = this.peek();
    if (c === 0x28 /* ( */) return this.list();
    if (c === 0x22 /* " */) return this.quoted();
    if (c === 0x7b /* { */ || (c === 0x7e /* ~ */ && this.bytes[this.pos + 1] === 0x7b)) return this.literal();
    const atom = this.atom();
    return atom.toUpperCase() === 'NIL' ? null : atom;
  }

  private list(): ImapValue[] {
    this.pos++; // (
    const out: ImapValue[] = [];
    for (;;) {
      const c = this.peek();
      if (c === undefined) throw new ImapParseError('unterminated list');
      if (c === 0x29 /* ) */) {
        this.pos++;
        return out;
      }
      // body-type-mpart = 1*body SP media-subtype (RFC 3501 §9): the parts of a multipart BODYSTRUCTURE follow
      // each other with no SP between them.
      if (out.length > 0 && !(c === 0x28 && Array.isArray(out[out.length - 1]))) this.expectSpace();
      if (this.peek() === 0x29) continue; // tolerate "( )"
      out.push(this.value());
    }
  }

  private quoted(): string {
    this.pos++; // opening quote
    const bytes: number[] = [];
    for (;;) {
      const c = this.peek();
      if (c === undefined) throw new ImapParseError('unterminated quoted string');
      this.pos++;
      if (c === 0x22) return Buffer.from(bytes).toString('utf8');
      if (c === 0x5c /* \ */) {
        const escaped = this.peek();
        if (escaped === undefined) throw new ImapParseError('unterminated quoted string');
        bytes.push(escaped);
        this.pos++;
      } else {
        bytes.push(c);
      }
    }
  }

  private literal(): Buffer {
    if (this.peek() === 0x7e) this.pos++; // literal8 (RFC 3516)
    const close = this.bytes.indexOf(0x7d /* } */, this.pos);
    if (close < 0) throw new ImapParseError('bad literal announcement');
    const length = Number(this.bytes.toString('latin1', this.pos + 1, close));
    const start = close + 3; // "}\r\n"
    if (!Number.isSafeInteger(length) || this.bytes[close + 1] !== 0x0d || start + length > this.bytes.length) {
      throw new ImapParseError('bad literal');
    }
    this.pos = start + length;
    return this.bytes.subarray(start, this.pos);
  }

  /** An atom, where "[...]" (a FETCH section such as BODY[HEADER.FIELDS (FROM)]) may contain spaces and parens. */
  private atom(): string {
    const start = this.pos;
    for (;;) {
      const c = this.peek();
      if (c === undefined || c === SP || c === 0x28 || c === 0x29) break;
      this.pos = c === 0x5b ? this.matchingBracket(this.pos) + 1 : this.pos + 1;
    }
    if (this.pos === start) throw new ImapParseError(`expected an atom at ${start}`);
    return this.bytes.toString('utf8', start, this.pos);
  }

  private matchingBracket(open: number): number {
    let depth = 0;
    for (let i = open; i < this.bytes.length; i++) {
      if (this.bytes[i] === 0x5b) depth++;
      else if (this.bytes[i] === 0x5d && --depth === 0) return i;
    }
    throw new ImapParseError('unterminated "["');
  }
}
