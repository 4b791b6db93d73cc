// A cursor over one complete command as the framer (command-reader.ts) hands it over: the text of each line with
// the CRLF and the trailing literal announcement `{n}` / `{n+}` / `~{n}` removed, interleaved with the literal bytes.
// So `A LOGIN {3}\r\nbob {6+}\r\nsecret\r\n` arrives as
//   [text "A LOGIN ", literal "bob", text " ", literal "secret", text ""].
// A literal always sits between two text parts. The grammar functions read from here and throw SyntaxFault, which
// parse-command.ts turns into a BAD result; nothing escapes to the connection.

import { MAX_NESTING_DEPTH, NESTING_TEXT } from './limits.js';

export type CommandPart =
  | { readonly kind: 'text'; readonly bytes: Buffer }
  | { readonly kind: 'literal'; readonly bytes: Buffer; readonly binary: boolean };

export class SyntaxFault extends Error {}

const SP = 0x20;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;

/** ATOM-CHAR: any CHAR except atom-specials `( ) { SP CTL % * " \ ]` (RFC 3501 §9). */
function isAtomChar(c: number): boolean {
  return c > 0x20 && c < 0x7f && c !== 0x28 && c !== 0x29 && c !== 0x7b && c !== 0x25 && c !== 0x2a && c !== DQUOTE && c !== BACKSLASH && c !== 0x5d;
}
/** ASTRING-CHAR = ATOM-CHAR / resp-specials ("]"). */
function isAstringChar(c: number): boolean {
  return isAtomChar(c) || c === 0x5d;
}
/** list-char = ATOM-CHAR / list-wildcards / resp-specials (LIST patterns). */
function isListChar(c: number): boolean {
  return isAstringChar(c) || c === 0x25 || c === 0x2a;
}

export class Cursor {
  private index = 0;
  private pos = 0;
  /** Lists open around the cursor (parser/limits.ts). */
  private listDepth = 0;

  constructor(private readonly parts: readonly CommandPart[]) {}

  private text(): Buffer {
    const part = this.parts[this.index];
    return part && part.kind === 'text' ? part.bytes : Buffer.alloc(0);
  }

  /** A position to come back to: lets a grammar rule look at a keyword before committing to it. */
  mark(): readonly [number, number] {
    return [this.index, this.pos];
  }

  reset(mark: readonly [number, number]): void {
    [this.index, this.pos] = mark;
  }

  fail(message: string): never {
    throw new SyntaxFault(message);
  }

  /** The next byte of line text, or undefined at the end of a line (before a literal or at the end). */
  peek(): number | undefined {
    return this.text()[this.pos];
  }

  /** True when the cursor is at the end of a line that is followed by a literal. */
  atLiteral(): boolean {
    return this.pos >= this.text().length && this.parts[this.index + 1]?.kind === 'literal';
  }

  atEnd(): boolean {
    return this.pos >= this.text().length && this.index + 1 >= this.parts.length;
  }

  /** Consume `byte` if it is next; report whether it was. */
  take(byte: number): boolean {
    if (this.peek() === byte) {
      this.pos++;
      return true;
    }
    return false;
  }

  expect(byte: number, what: string): void {
    if (!this.take(byte)) this.fail(`Expected ${what}`);
  }

  sp(): void {
    this.expect(SP, 'SP');
  }

  end(): void {
    if (!this.atEnd()) this.fail('Unexpected characters at end of command');
  }

  /** Consume a literal at the cursor (the caller checked atLiteral()). */
  literal(): Buffer {
    const part = this.parts[this.index + 1];
    if (!part || part.kind !== 'literal' || this.pos < this.text().length) this.fail('Expected literal');
    if (!part.binary && part.bytes.includes(0)) this.fail('NUL in literal'); // RFC 3501 §4.3: CHAR8 excludes NUL
    this.index += 2;
    this.pos = 0;
    return part.bytes;
  }

  scan(pred: (c: number) => boolean): Buffer {
    const t = this.text();
    const start = this.pos;
    while (this.pos < t.length && pred(t[this.pos] ?? 0)) this.pos++;
    return t.subarray(start, this.pos);
  }

  atom(): string {
    const bytes = this.scan(isAtomChar);
    if (bytes.length === 0) this.fail('Expected atom');
    return bytes.toString('latin1');
  }

  /** An atom, upper-cased: command names, keywords and options are case-insensitive. */
  keyword(): string {
    return this.atom().toUpperCase();
  }

  /** quoted = DQUOTE *QUOTED-CHAR DQUOTE, with `\"` and `\\` the only escapes (RFC 3501 §9). */
  quoted(): string {
    this.expect(DQUOTE, 'quoted string');
    const t = this.text();
    const bytes: number[] = [];
    for (;;) {
      const c = t[this.pos];
      if (c === undefined) this.fail('Unterminated quoted string');
      this.pos++;
      if (c === DQUOTE) break;
      if (c === BACKSLASH) {
        const e = t[this.pos];
        if (e !== DQUOTE && e !== BACKSLASH) this.fail('Bad escape in quoted string');
        this.pos++;
        bytes.push(e);
      } else if (c === 0) this.fail('NUL in quoted string');
      else bytes.push(c);
    }
    return Buffer.from(bytes).toString('utf8');
  }

  /** string = quoted / literal. */
  string(): string {
    if (this.atLiteral()) return this.literal().toString('utf8');
    if (this.peek() === DQUOTE) return this.quoted();
    this.fail('Expected string');
  }

  /** astring = 1*ASTRING-CHAR / string. */
  astring(): string {
    const c = this.peek();
    if (c === DQUOTE || this.atLiteral()) return this.string();
    const bytes = this.scan(isAstringChar);
    if (bytes.length === 0) this.fail('Expected astring');
    return bytes.toString('utf8');
  }

  /** nstring = string / NIL. */
  nstring(): string | null {
    if (this.peek() === 0x4e || this.peek() === 0x6e) {
      const save = this.pos;
      const word = this.scan(isAtomChar).toString('latin1').toUpperCase();
      if (word === 'NIL') return null;
      this.pos = save;
    }
    return this.string();
  }

  /** list-mailbox = 1*list-char / string (LIST/LSUB patterns may contain % and *). */
  listMailbox(): string {
    const c = this.peek();
    if (c === DQUOTE || this.atLiteral()) return this.string();
    const bytes = this.scan(isListChar);
    if (bytes.length === 0) this.fail('Expected mailbox pattern');
    return bytes.toString('utf8');
  }

  /** number = 1*DIGIT, bounded by `max` (32-bit by default, RFC 3501 §9 "number"). */
  number(max = 0xffffffff): number {
    const digits = this.scan((c) => c >= 0x30 && c <= 0x39);
    if (digits.length === 0) this.fail('Expected number');
    if (digits.length > 16) this.fail('Number too large');
    const n = Number(digits.toString('latin1'));
    if (n > max) this.fail('Number too large');
    return n;
  }

  nzNumber(max = 0xffffffff): number {
    const n = this.number(max);
    if (n === 0) this.fail('Expected non-zero number');
    return n;
  }

  /** Bytes up to (not including) the next SP or end of line, for tokens with their own grammar (tags, sets). */
  token(): string {
    return this.scan((c) => c !== SP).toString('latin1');
  }

  /** The run of bytes that may form a tag: ASTRING-CHAR except "+" (RFC 3501 §9 "tag"). */
  tag(): string {
    const bytes = this.scan((c) => isAstringChar(c) && c !== 0x2b);
    if (bytes.length === 0) this.fail('Missing tag');
    return bytes.toString('latin1');
  }

  /** `(` item *(SP item) `)`, or `()` when `allowEmpty`; at most MAX_NESTING_DEPTH lists inside one another. */
  list<T>(item: () => T, allowEmpty = true): T[] {
    this.expect(0x28, '(');
    if (this.listDepth >= MAX_NESTING_DEPTH) this.fail(NESTING_TEXT);
    const out: T[] = [];
    if (this.take(0x29)) {
      if (!allowEmpty) this.fail('Empty list');
      return out;
    }
    this.listDepth++;
    for (;;) {
      out.push(item());
      if (this.take(0x29)) break;
      this.sp();
    }
    this.listDepth--; // a SyntaxFault abandons the whole cursor, so only the normal way out needs this
    return out;
  }
}
