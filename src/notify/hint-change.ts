// The change a hint may carry: the commit's change-log entries and the mailbox's status after them, exactly as
// `mailbox.changes` would read them back (the mailstore's OwnChange, src/mailstore/api.ts). This layer imports
// nothing of ours (DESIGN.md layout), so the shape is restated here; src/server's wiring checks both ways that the
// two stay assignable (main.ts hands the bus to the MailboxCache, and commits' hints to the bus).
//
// A receiver takes the change only when its MODSEQ chain fits what it holds (mailbox-cache.ts); anything else reads
// the log, which stays the truth. So the change is an optimisation with one hard rule: a malformed one is dropped,
// never half-applied — `isHintChange` checks every field a cache would touch before anyone sees it.

export interface HintHotList {
  uids: number[];
  flags: number[];
  keywords: string[][];
  modseqs: number[];
  sizes: number[];
  dates: number[];
  emailIds: string[];
  saveDates?: number[];
}

export type HintLogEntry =
  | { modseq: number; op: 'A'; by: string; added: HintHotList }
  | { modseq: number; op: 'F'; by: string; uids: number[]; flags: number[]; keywords: string[][] }
  | { modseq: number; op: 'X'; by: string; uids: number[] }
  | { modseq: number; op: 'N' | 'R' | 'D'; by: string };

export interface HintStatus {
  mailboxId: string;
  path: string;
  uidValidity: number;
  uidNext: number;
  highestModseq: number;
  messages: number;
  unseen: number;
  deleted: number;
  bytes: number;
  keywords: string[];
  specialUse: string | null;
  unclaimed?: number;
}

export interface HintChange {
  entries: HintLogEntry[];
  status: HintStatus;
}

/**
 * Largest change a hint carries, as JSON. One commit's entry is usually a few hundred bytes (a STORE of a few UIDs,
 * one APPEND); a STORE or EXPUNGE of thousands of UIDs goes as a plain hint and costs the receivers one log read,
 * as before — a Redis message per commit of tens of KB, fanned out to every subscribed frontend, is not worth it.
 */
export const MAX_HINT_CHANGE_BYTES = 8 * 1024;

/** The change as JSON when it is within MAX_HINT_CHANGE_BYTES, else undefined (send the plain hint). */
export function hintChangeJson(change: HintChange): string | undefined {
  // Cheap bound first: each UID costs at least two characters in JSON, so a huge entry is not serialised at all.
  let uids = 0;
  for (const e of change.entries) uids += 'added' in e ? e.added.uids.length : 'uids' in e ? e.uids.length : 0;
  if (uids * 2 > MAX_HINT_CHANGE_BYTES) return undefined;
  const json = JSON.stringify(change);
  return json.length <= MAX_HINT_CHANGE_BYTES ? json : undefined;
}

/** The change in `json` when it is well-formed and names this mailbox and MODSEQ; never throws. */
export function parseHintChange(json: string, mailboxId: string, modseq: number): HintChange | undefined {
  if (json.length > MAX_HINT_CHANGE_BYTES) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  return isHintChange(value, mailboxId, modseq) ? value : undefined;
}

/**
 * A change for hint `{mailboxId, modseq}`: entries dense and ending at `modseq`, the status of that mailbox at that
 * MODSEQ, and every entry shaped as the log reads it (columns of equal length, integers where the cache keeps
 * integers) — what mailbox-cache.ts and the sessions' views index into without further checks.
 */
export function isHintChange(value: unknown, mailboxId: string, modseq: number): value is HintChange {
  if (!isObject(value) || !Array.isArray(value.entries) || value.entries.length === 0) return false;
  if (!isStatus(value.status) || value.status.mailboxId !== mailboxId || value.status.highestModseq !== modseq) return false;
  const first = modseq - value.entries.length + 1;
  return value.entries.every((e, i) => isEntry(e) && e.modseq === first + i);
}

function isEntry(e: unknown): e is HintLogEntry {
  if (!isObject(e) || !isCount(e.modseq) || e.modseq < 1 || typeof e.by !== 'string') return false;
  switch (e.op) {
    case 'A':
      return isHotList(e.added);
    case 'F':
      return isInts(e.uids) && isInts(e.flags) && isWordLists(e.keywords) && e.flags.length === e.uids.length && e.keywords.length === e.uids.length;
    case 'X':
      return isInts(e.uids);
    case 'N':
    case 'R':
    case 'D':
      return true;
    default:
      return false;
  }
}

function isHotList(l: unknown): l is HintHotList {
  if (!isObject(l) || !isInts(l.uids)) return false;
  const n = l.uids.length;
  const column = (c: unknown, ok: (c: unknown) => c is unknown[]): boolean => ok(c) && c.length === n;
  return (
    column(l.flags, isInts) &&
    column(l.keywords, isWordLists) &&
    column(l.modseqs, isInts) &&
    column(l.sizes, isInts) &&
    column(l.dates, isNumbers) &&
    column(l.emailIds, isWords) &&
    (l.saveDates === undefined || column(l.saveDates, isNumbers))
  );
}

function isStatus(s: unknown): s is HintStatus {
  if (!isObject(s) || typeof s.mailboxId !== 'string' || typeof s.path !== 'string') return false;
  for (const n of [s.uidValidity, s.uidNext, s.highestModseq, s.messages, s.unseen, s.deleted, s.bytes]) if (!isCount(n)) return false;
  return isWords(s.keywords) && (s.specialUse === null || typeof s.specialUse === 'string') && (s.unclaimed === undefined || isCount(s.unclaimed));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isCount(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) >= 0;
}

function isInts(v: unknown): v is number[] {
  return Array.isArray(v) && v.every(isCount);
}

function isNumbers(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((n) => typeof n === 'number' && Number.isFinite(n));
}

function isWords(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((w) => typeof w === 'string');
}

function isWordLists(v: unknown): v is string[][] {
  return Array.isArray(v) && v.every(isWords);
}
