// SORT keys (RFC 5256 §3, RFC 5957 §3) of one message and the SORT order. Pure: the command computes each matching
// message's keys from the view and its cold item once, then sorts the small records.
import type { SortCriterion } from '../command.js';
import type { Address, MessageIndex } from '../../mime/types.js';
import { decodeHeaderValue } from '../../mime/index.js';
import { baseSubject, collationKey, compareKeys } from './base-subject.js';

export interface SortRecord {
  readonly seq: number;
  readonly uid: number;
  readonly modseq: number;
  /** One value per criterion, in criterion order: numbers for ARRIVAL, DATE, SIZE, collation keys otherwise. */
  readonly keys: ReadonlyArray<number | string>;
}

/** What a sort key may read about one message. */
export interface SortSubject {
  readonly seq: number;
  readonly uid: number;
  readonly modseq: number;
  readonly size: number;
  /** internal date, ms since epoch */
  readonly date: number;
  readonly index: MessageIndex | undefined;
}

/** True when some criterion reads the cold item (everything but ARRIVAL and SIZE). */
export function sortNeedsIndex(criteria: readonly SortCriterion[]): boolean {
  return criteria.some((c) => c.key !== 'ARRIVAL' && c.key !== 'SIZE');
}

/** RFC 5256 §2.2: the Date: header in UTC, or the internal date when it is missing or cannot be parsed. */
export function sentDate(index: MessageIndex | undefined, internalDate: number): number {
  return index?.hdr.date ?? internalDate;
}

/**
 * RFC 5256 §3 FROM/TO/CC: the [IMAP] addr-mailbox of the first address of the ENVELOPE list: the local part, or
 * the group name when the field starts with a group (as Dovecot does); "" when there is none.
 */
export function addrMailbox(list: readonly Address[] | null | undefined): string {
  return list?.[0]?.mailbox ?? '';
}

/**
 * RFC 5957 §3 DISPLAYFROM/DISPLAYTO: the first address's display name, RFC 2047 decoded; when it has none (or an
 * empty one), its addr-spec mailbox@host (a group: its name); "" when there is no address.
 */
export function displayAddress(list: readonly Address[] | null | undefined): string {
  const first = list?.[0];
  if (!first) return '';
  const name = first.name === null ? '' : decodeHeaderValue(first.name).trim();
  if (name !== '') return name;
  if (first.host === null) return first.mailbox ?? '';
  return `${first.mailbox ?? ''}@${first.host}`;
}

function keyOf(criterion: SortCriterion, m: SortSubject): number | string {
  const env = m.index?.env;
  switch (criterion.key) {
    case 'ARRIVAL':
      return m.date;
    case 'SIZE':
      return m.size;
    case 'DATE':
      return sentDate(m.index, m.date);
    case 'SUBJECT':
      return collationKey(baseSubject(m.index?.hdr.subject ?? null).base);
    case 'FROM':
      return collationKey(addrMailbox(env?.from));
    case 'TO':
      return collationKey(addrMailbox(env?.to));
    case 'CC':
      return collationKey(addrMailbox(env?.cc));
    case 'DISPLAYFROM':
      return collationKey(displayAddress(env?.from));
    case 'DISPLAYTO':
      return collationKey(displayAddress(env?.to));
  }
}

export function sortRecord(m: SortSubject, criteria: readonly SortCriterion[]): SortRecord {
  return { seq: m.seq, uid: m.uid, modseq: m.modseq, keys: criteria.map((c) => keyOf(c, m)) };
}

/**
 * RFC 5256 §3: criteria in priority order, each ascending unless REVERSE; the empty string collates first; exact
 * ties keep sequence order (REVERSE never reverses that implicit last criterion).
 */
export function sortRecords(records: readonly SortRecord[], criteria: readonly SortCriterion[]): SortRecord[] {
  return [...records].sort((a, b) => {
    for (let i = 0; i < criteria.length; i++) {
      const x = a.keys[i] ?? 0;
      const y = b.keys[i] ?? 0;
      const order = typeof x === 'number' && typeof y === 'number' ? Math.sign(x - y) : compareKeys(String(x), String(y));
      if (order !== 0) return criteria[i]?.reverse ? -order : order;
    }
    return a.seq - b.seq;
  });
}
