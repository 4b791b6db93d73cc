// Grammar pieces shared by several commands (RFC 3501 §9, RFC 9051 §9): sequence sets, flags, dates,
// mailbox names, mod-sequences. Each reads from a Cursor and throws SyntaxFault on malformed input.
import type { Cursor } from './cursor.js';
import { normaliseInbox } from './mailbox-name.js';
import { asModSeq, canonicalFlag, MAX_SEQUENCE_NUMBER } from '../types.js';
import type { Flag, ImapDate, ModSeq, SeqBound, SeqRange, SequenceSet } from '../types.js';

const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 0x30 && c <= 0x39;

function seqNumber(c: Cursor): SeqBound {
  if (c.take(0x2a)) return '*';
  if (!isDigit(c.peek())) c.fail('Expected sequence number');
  return c.nzNumber(MAX_SEQUENCE_NUMBER);
}

/** sequence-set = ("$" / seq-number / seq-range) *("," ...) — "$" only alone (RFC 5182 §2). */
export function sequenceSet(c: Cursor): SequenceSet {
  if (c.take(0x24)) return { kind: 'saved' };
  const ranges: SeqRange[] = [];
  do {
    const start = seqNumber(c);
    const end = c.take(0x3a) ? seqNumber(c) : start;
    ranges.push({ start, end });
  } while (c.take(0x2c));
  return { kind: 'ranges', ranges };
}

/** True when the next byte can start a sequence set (a digit, "*" or "$"), as SEARCH keys need to know. */
export function startsSequenceSet(c: Cursor): boolean {
  const b = c.peek();
  return isDigit(b) || b === 0x2a || b === 0x24;
}

/** mailbox = "INBOX" / astring; INBOX is case-insensitive (RFC 3501 §5.1). */
export function mailbox(c: Cursor): string {
  return normaliseInbox(c.astring());
}

/** flag = "\" atom / keyword (RFC 3501 §9 "flag"); system flags come back in canonical case. */
export function flag(c: Cursor): Flag {
  if (c.take(0x5c)) return canonicalFlag('\\' + c.atom());
  return c.atom();
}

export function flagList(c: Cursor): Flag[] {
  return c.list(() => flag(c));
}

/** mod-sequence-value (RFC 7162 §7), limited to what a JavaScript number holds exactly. */
export function modSeq(c: Cursor, allowZero = false): ModSeq {
  const n = c.number(Number.MAX_SAFE_INTEGER);
  if (n === 0 && !allowZero) c.fail('Expected non-zero mod-sequence');
  return asModSeq(n);
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function monthAndYear(c: Cursor, day: number): ImapDate {
  c.expect(0x2d, '-');
  const name = c.scan((b) => (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a)).toString('latin1').toUpperCase();
  const month = MONTHS.indexOf(name) + 1;
  if (month === 0) c.fail('Bad month');
  c.expect(0x2d, '-');
  const digits = c.scan(isDigit);
  if (digits.length !== 4) c.fail('Bad year');
  const year = Number(digits.toString('latin1'));
  if (day < 1 || day > daysIn(year, month)) c.fail('Bad day');
  return { year, month, day };
}

/** date = date-text / DQUOTE date-text DQUOTE; date-text = 1*2DIGIT "-" month "-" 4DIGIT (RFC 3501 §9). */
export function searchDate(c: Cursor): ImapDate {
  const quoted = c.take(0x22);
  const digits = c.scan(isDigit);
  if (digits.length < 1 || digits.length > 2) c.fail('Bad day');
  const date = monthAndYear(c, Number(digits.toString('latin1')));
  if (quoted) c.expect(0x22, 'closing quote');
  return date;
}

function twoDigits(c: Cursor, max: number): number {
  const d = c.scan(isDigit);
  if (d.length !== 2) c.fail('Bad time');
  const n = Number(d.toString('latin1'));
  if (n > max) c.fail('Bad time');
  return n;
}

/** date-time = DQUOTE date-day-fixed "-" month "-" year SP time SP zone DQUOTE (RFC 3501 §9), e.g. " 7-Jul-1996". */
export function dateTime(c: Cursor): Date {
  c.expect(0x22, 'date-time');
  let day: number;
  if (c.take(0x20)) {
    const d = c.scan(isDigit);
    if (d.length !== 1) c.fail('Bad day');
    day = Number(d.toString('latin1'));
  } else {
    day = twoDigits(c, 31);
  }
  const date = monthAndYear(c, day);
  c.sp();
  const hh = twoDigits(c, 23);
  c.expect(0x3a, ':');
  const mm = twoDigits(c, 59);
  c.expect(0x3a, ':');
  const ss = twoDigits(c, 60);
  c.sp();
  const sign = c.take(0x2b) ? 1 : c.take(0x2d) ? -1 : c.fail('Bad zone');
  const zone = c.scan(isDigit);
  if (zone.length !== 4) c.fail('Bad zone');
  const zh = Number(zone.subarray(0, 2).toString('latin1'));
  const zm = Number(zone.subarray(2).toString('latin1'));
  if (zm > 59) c.fail('Bad zone');
  c.expect(0x22, 'closing quote');
  const utc = Date.UTC(date.year, date.month - 1, date.day, hh, mm, ss) - sign * (zh * 60 + zm) * 60_000;
  return new Date(utc);
}
