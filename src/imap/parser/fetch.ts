// FETCH arguments (RFC 3501 §6.4.5, RFC 3516 BINARY, RFC 7162 CHANGEDSINCE/VANISHED/MODSEQ, RFC 8474 EMAILID).
// Macros ALL/FAST/FULL are expanded here so handlers only ever see concrete items.
import type { Cursor } from './cursor.js';
import { modSeq, sequenceSet } from './grammar.js';
import type { FetchCommand, FetchItem, Partial, Section, SectionText } from '../command.js';
import type { ModSeq } from '../types.js';

const FLAGS: FetchItem = { item: 'FLAGS' };
const INTERNALDATE: FetchItem = { item: 'INTERNALDATE' };
const SIZE: FetchItem = { item: 'RFC822.SIZE' };
const ENVELOPE: FetchItem = { item: 'ENVELOPE' };

const MACROS: Readonly<Record<string, readonly FetchItem[]>> = {
  ALL: [FLAGS, INTERNALDATE, SIZE, ENVELOPE],
  FAST: [FLAGS, INTERNALDATE, SIZE],
  FULL: [FLAGS, INTERNALDATE, SIZE, ENVELOPE, { item: 'BODY' }],
};

const SIMPLE = new Set([
  'FLAGS',
  'UID',
  'INTERNALDATE',
  'RFC822.SIZE',
  'ENVELOPE',
  'BODYSTRUCTURE',
  'BODY',
  'RFC822',
  'RFC822.HEADER',
  'RFC822.TEXT',
  'MODSEQ',
  'EMAILID',
  'THREADID',
  'SAVEDATE',
] as const);
type SimpleItem = typeof SIMPLE extends Set<infer T> ? T : never;

const isDigit = (b: number | undefined): boolean => b !== undefined && b >= 0x30 && b <= 0x39;
const isNameChar = (b: number): boolean => (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || isDigit(b) || b === 0x2e;

/** section-part = nz-number *("." nz-number); stops before ".HEADER" etc. */
function partPath(c: Cursor): number[] {
  const part: number[] = [];
  while (isDigit(c.peek())) {
    part.push(c.nzNumber());
    const mark = c.mark();
    if (!c.take(0x2e)) break;
    if (!isDigit(c.peek())) {
      c.reset(mark);
      break;
    }
  }
  return part;
}

/** section = "[" [section-spec] "]" (RFC 3501 §9). */
function section(c: Cursor): Section {
  c.expect(0x5b, '[');
  const part = partPath(c);
  let text: SectionText | undefined;
  if (part.length === 0 || c.take(0x2e)) {
    const name = c.scan((b) => (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x2e).toString('latin1').toUpperCase();
    if (name === 'HEADER' || name === 'TEXT') text = { kind: name };
    else if (name === 'MIME' && part.length > 0) text = { kind: 'MIME' };
    else if (name === 'HEADER.FIELDS' || name === 'HEADER.FIELDS.NOT') {
      c.sp();
      text = { kind: 'HEADER.FIELDS', not: name.endsWith('.NOT'), fields: c.list(() => c.astring(), false) };
    } else if (name !== '' || part.length > 0) c.fail('Bad section');
  }
  c.expect(0x5d, ']');
  return text ? { part, text } : { part };
}

/** partial = "<" number "." nz-number ">" (RFC 3501 §9). */
function partial(c: Cursor): Partial | undefined {
  if (!c.take(0x3c)) return undefined;
  const offset = c.number();
  c.expect(0x2e, '.');
  const length = c.nzNumber();
  c.expect(0x3e, '>');
  return { offset, length };
}

function binaryPart(c: Cursor): number[] {
  c.expect(0x5b, '[');
  const part = partPath(c);
  c.expect(0x5d, ']');
  return part;
}

/** One fetch-att (RFC 3501 §9); also NOTIFY's MessageNew attribute list (parser/notify.ts). */
export function fetchAtt(c: Cursor): FetchItem {
  const name = c.scan(isNameChar).toString('latin1').toUpperCase();
  if ((name === 'BODY' || name === 'BODY.PEEK') && c.peek() === 0x5b) {
    const sec = section(c);
    const p = partial(c);
    return { item: 'BODY[]', peek: name === 'BODY.PEEK', section: sec, ...(p ? { partial: p } : {}) };
  }
  if (name === 'BINARY' || name === 'BINARY.PEEK') {
    const part = binaryPart(c);
    const p = partial(c);
    return { item: 'BINARY[]', peek: name === 'BINARY.PEEK', part, ...(p ? { partial: p } : {}) };
  }
  if (name === 'BINARY.SIZE') return { item: 'BINARY.SIZE', part: binaryPart(c) };
  if (name === 'PREVIEW') return preview(c);
  if (SIMPLE.has(name as SimpleItem)) return { item: name as SimpleItem };
  return c.fail(`Unknown FETCH item ${name || 'at this position'}`);
}

/** RFC 8970 §7: "PREVIEW" [SP "(" preview-mod *(SP preview-mod) ")"], preview-mod = "LAZY". */
function preview(c: Cursor): FetchItem {
  // `FETCH 1 PREVIEW (CHANGEDSINCE 5)`: a list that does not start with LAZY is the command's modifiers.
  const mark = c.mark();
  if (!c.take(0x20) || !c.take(0x28) || c.scan(isNameChar).toString('latin1').toUpperCase() !== 'LAZY') {
    c.reset(mark);
    return { item: 'PREVIEW', lazy: false };
  }
  while (c.take(0x20)) if (c.keyword() !== 'LAZY') c.fail('Unknown PREVIEW modifier');
  c.expect(0x29, ')');
  return { item: 'PREVIEW', lazy: true };
}

/** After "FETCH": SP sequence-set SP (macro / fetch-att / "(" fetch-att *(SP fetch-att) ")") [SP "(" modifiers ")"]. */
export function fetchArguments(c: Cursor, tag: string, uid: boolean): FetchCommand {
  c.sp();
  const set = sequenceSet(c);
  c.sp();
  let items: readonly FetchItem[];
  if (c.peek() === 0x28) items = c.list(() => fetchAtt(c), false);
  else {
    const mark = c.mark();
    const word = c.scan(isNameChar).toString('latin1').toUpperCase();
    const macro = MACROS[word];
    if (macro && c.peek() !== 0x5b) items = macro;
    else {
      c.reset(mark);
      items = [fetchAtt(c)];
    }
  }
  let changedSince: ModSeq | undefined;
  let vanished = false;
  if (!c.atEnd()) {
    c.sp();
    c.list(() => {
      const mod = c.keyword();
      if (mod === 'CHANGEDSINCE') {
        c.sp();
        changedSince = modSeq(c, true);
      } else if (mod === 'VANISHED' && uid) vanished = true;
      else c.fail(`Unknown FETCH modifier ${mod}`);
    }, false);
  }
  // RFC 7162 §3.2.6: VANISHED requires CHANGEDSINCE.
  if (vanished && changedSince === undefined) c.fail('VANISHED requires CHANGEDSINCE');
  return { tag, name: 'FETCH', uid, set, items, ...(changedSince !== undefined ? { changedSince } : {}), vanished };
}
