// Value types shared by the IMAP parser, the encoder and the session: branded numbers, sequence sets, flags.
// The brands exist so a sequence number can never be passed where a UID is expected (RFC 3501 §2.3.1.1 vs
// §2.3.1.2): they are the same JavaScript number at run time and cost nothing.

declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

/** A message's unique identifier within one UIDVALIDITY epoch (RFC 3501 §2.3.1.1), 1 … 2^32-1. */
export type Uid = Brand<number, 'Uid'>;
/** A message's position in the session's view (RFC 3501 §2.3.1.2), 1 … number of messages. */
export type SeqNum = Brand<number, 'SeqNum'>;
/**
 * A mod-sequence (RFC 7162 §3.1.1). The wire allows up to 2^63-1; we keep them as numbers, so the parser refuses
 * values above Number.MAX_SAFE_INTEGER rather than silently rounding them.
 */
export type ModSeq = Brand<number, 'ModSeq'>;

export const asUid = (n: number): Uid => n as Uid;
export const asSeqNum = (n: number): SeqNum => n as SeqNum;
export const asModSeq = (n: number): ModSeq => n as ModSeq;

/** Largest number a sequence set may name: nz-number is a 32-bit unsigned integer (RFC 9051 §9 "nz-number"). */
export const MAX_SEQUENCE_NUMBER = 0xffffffff;

/** One end of a range: a number, or `*` — "the largest number in use" (RFC 3501 §9 "seq-number"). */
export type SeqBound = number | '*';

/** `a:b` (order as the client wrote it; `b:a` means the same, RFC 3501 §9 "seq-range"); a single number has start === end. */
export interface SeqRange {
  readonly start: SeqBound;
  readonly end: SeqBound;
}

/**
 * A sequence set as the client wrote it. `*` is kept symbolic because its value depends on the mailbox at the time
 * the command runs, and `$` (RFC 5182 SEARCHRES) stands for the session's saved search result.
 */
export type SequenceSet =
  | { readonly kind: 'ranges'; readonly ranges: readonly SeqRange[] }
  | { readonly kind: 'saved' };

function bound(b: SeqBound, max: number): number {
  return b === '*' ? max : b;
}

/**
 * Whether `n` is in `set`, with `*` standing for `max` (the highest sequence number or UID in the mailbox).
 * For `$`, pass the saved result's members as `saved`; without it `$` matches nothing.
 * Note: `5:*` with max 3 contains 3 — RFC 3501 §6.4.8: "*" is the largest value in use, and ranges are unordered.
 */
export function sequenceSetHas(set: SequenceSet, n: number, max: number, saved?: ReadonlySet<number>): boolean {
  if (set.kind === 'saved') return saved?.has(n) ?? false;
  for (const r of set.ranges) {
    const a = bound(r.start, max);
    const b = bound(r.end, max);
    if (n >= Math.min(a, b) && n <= Math.max(a, b)) return true;
  }
  return false;
}

/**
 * The members of a message-sequence-number set in 1..max, ascending, without duplicates. Numbers above `max` are
 * dropped (the session decides whether that is an error, RFC 9051 §6.4.4 allows BAD). Do not use for UID sets
 * against a sparse UID list: filter the list with sequenceSetHas instead.
 */
export function expandSequenceSet(set: SequenceSet, max: number, saved?: readonly number[]): number[] {
  if (set.kind === 'saved') return [...new Set(saved ?? [])].filter((n) => n >= 1 && n <= max).sort((a, b) => a - b);
  const out = new Set<number>();
  for (const r of set.ranges) {
    const a = bound(r.start, max);
    const b = bound(r.end, max);
    const lo = Math.max(1, Math.min(a, b));
    const hi = Math.min(max, Math.max(a, b));
    for (let n = lo; n <= hi; n++) out.add(n);
  }
  return [...out].sort((a, b) => a - b);
}

/** The system flags of RFC 3501 §2.3.2 (plus \Recent, which clients may search for but never set). */
export type SystemFlag = '\\Seen' | '\\Answered' | '\\Flagged' | '\\Deleted' | '\\Draft' | '\\Recent';
/** A flag: a system flag in canonical case, or a keyword (atom) as the client wrote it. */
export type Flag = SystemFlag | (string & {});

const SYSTEM_FLAGS: ReadonlyMap<string, SystemFlag> = new Map(
  (['\\Seen', '\\Answered', '\\Flagged', '\\Deleted', '\\Draft', '\\Recent'] as const).map((f) => [f.toLowerCase(), f]),
);

/** Flags are case-insensitive (RFC 3501 §2.3.2); system flags get their canonical spelling so `===` works. */
export function canonicalFlag(flag: string): Flag {
  return SYSTEM_FLAGS.get(flag.toLowerCase()) ?? flag;
}

/** A calendar date without time, as SEARCH BEFORE/ON/SINCE use it (RFC 3501 §6.4.4: timezone is disregarded). */
export interface ImapDate {
  readonly year: number;
  /** 1..12 */
  readonly month: number;
  readonly day: number;
}
