// SEARCH keys (RFC 3501 §6.4.4) evaluated against one message of the view. Pure: flags, UIDs, sizes and internal
// dates come from the view; header, body and text keys from the store's answer (`scope.sealed`, search-scan.ts);
// sent-date and THREADID keys need the message's cold item, which the caller loads in batches only when
// `needsIndex` says so. A cold item's `text` is "" since issue #8: the fallback to it serves only messages above the
// store's upTo and items written before.
import type { SearchKey } from '../command.js';
import type { ImapDate, SequenceSet } from '../types.js';
import { sequenceSetHas } from '../types.js';
import type { MessageIndex } from '../../mime/types.js';
import { emailObjectId, threadObjectId } from '../wire/object-id.js';
import { FLAG_ANSWERED, FLAG_DELETED, FLAG_DRAFT, FLAG_FLAGGED, FLAG_SEEN } from '../../mailstore/flags.js';
import { bodyMatches, headerMatches, textMatches } from '../../mime/search-match.js';

const SYSTEM_BITS: Readonly<Record<string, number>> = {
  '\\seen': FLAG_SEEN,
  '\\answered': FLAG_ANSWERED,
  '\\flagged': FLAG_FLAGGED,
  '\\deleted': FLAG_DELETED,
  '\\draft': FLAG_DRAFT,
};

const DAY_MS = 86_400_000;

/** What the evaluator may know about one message. */
export interface SearchSubject {
  seq: number;
  uid: number;
  bits: number;
  keywords: readonly string[];
  recent: boolean;
  size: number;
  /** internal date, ms since epoch */
  date: number;
  modseq: number;
  index: MessageIndex | undefined;
  /** RFC 8514 save date, ms since epoch; 0 or absent when unknown. */
  saveDate?: number;
  /** The store's emailId (RFC 8474 EMAILID / THREADID). */
  emailId?: string;
}

export interface SearchScope {
  /** Number of messages (value of `*` for sequence numbers). */
  count: number;
  /** Highest UID (value of `*` for UIDs). */
  maxUid: number;
  now: number;
  /** The SEARCHRES saved result `$` as UIDs (RFC 5182); `$` matches nothing without it. */
  saved?: ReadonlySet<number>;
  /** Text keys the store matched (`message.searchText`), for every UID ≤ upTo; cold items hold no text (issue #8). */
  sealed?: SealedMatches;
}

/** The text key nodes of a SEARCH key, answered by the store for every UID ≤ upTo (search-scan.ts). */
export interface SealedMatches {
  upTo: number;
  hits: ReadonlyMap<TextKeyNode, ReadonlySet<number>>;
}

export type TextKeyNode = Extract<SearchKey, { kind: 'header' | 'body' | 'text' }>;

/** The HEADER / FROM / … / BODY / TEXT nodes of a key, in tree order. */
export function textKeysOf(key: SearchKey, out: TextKeyNode[] = []): TextKeyNode[] {
  switch (key.kind) {
    case 'header':
    case 'body':
    case 'text':
      out.push(key);
      break;
    case 'and':
      for (const k of key.keys) textKeysOf(k, out);
      break;
    case 'or':
      textKeysOf(key.left, out);
      textKeysOf(key.right, out);
      break;
    case 'not':
      textKeysOf(key.key, out);
      break;
    default:
      break;
  }
  return out;
}

/** True when a key other than a text key needs the cold item (the Date: header, THREADID). */
export function needsIndexBeyondText(key: SearchKey): boolean {
  switch (key.kind) {
    case 'header':
    case 'body':
    case 'text':
      return false;
    case 'and':
      return key.keys.some(needsIndexBeyondText);
    case 'or':
      return needsIndexBeyondText(key.left) || needsIndexBeyondText(key.right);
    case 'not':
      return needsIndexBeyondText(key.key);
    default:
      return needsIndex(key);
  }
}

function sealedHit(key: TextKeyNode, m: SearchSubject, scope: SearchScope): boolean | undefined {
  const sealed = scope.sealed;
  if (!sealed || m.uid > sealed.upTo) return undefined;
  return sealed.hits.get(key)?.has(m.uid) ?? false;
}

/** True when any key needs the cold item (headers, text, Date: header). */
export function needsIndex(key: SearchKey): boolean {
  switch (key.kind) {
    case 'header':
    case 'body':
    case 'text':
      return true;
    case 'date':
      return key.field === 'sent';
    case 'threadid':
      return true;
    case 'and':
      return key.keys.some(needsIndex);
    case 'or':
      return needsIndex(key.left) || needsIndex(key.right);
    case 'not':
      return needsIndex(key.key);
    default:
      return false;
  }
}

/** True when a key compares the emailId (EMAILID, THREADID: RFC 8474 §6). */
export function usesEmailId(key: SearchKey): boolean {
  switch (key.kind) {
    case 'emailid':
    case 'threadid':
      return true;
    case 'and':
      return key.keys.some(usesEmailId);
    case 'or':
      return usesEmailId(key.left) || usesEmailId(key.right);
    case 'not':
      return usesEmailId(key.key);
    default:
      return false;
  }
}

/** True when the key uses `$` (RFC 5182). */
export function usesSavedResult(key: SearchKey): boolean {
  switch (key.kind) {
    case 'seq':
    case 'uid':
      return key.set.kind === 'saved';
    case 'and':
      return key.keys.some(usesSavedResult);
    case 'or':
      return usesSavedResult(key.left) || usesSavedResult(key.right);
    case 'not':
      return usesSavedResult(key.key);
    default:
      return false;
  }
}

export function matches(key: SearchKey, m: SearchSubject, scope: SearchScope): boolean {
  switch (key.kind) {
    case 'all':
      return true;
    case 'and':
      return key.keys.every((k) => matches(k, m, scope));
    case 'or':
      return matches(key.left, m, scope) || matches(key.right, m, scope);
    case 'not':
      return !matches(key.key, m, scope);
    case 'flag':
      return hasFlag(m, key.flag) === key.present;
    case 'seq':
    case 'uid':
      // `$` holds UIDs, so it names the same messages in either position (RFC 5182 §2.2).
      if (key.set.kind === 'saved') return scope.saved?.has(m.uid) ?? false;
      return key.kind === 'seq' ? inSet(key.set, m.seq, scope.count) : inSet(key.set, m.uid, scope.maxUid);
    case 'size':
      return key.op === 'larger' ? m.size > key.size : m.size < key.size;
    case 'date':
      return dateMatches(dateOf(key.field, m), key.op, key.date);
    case 'header':
      return sealedHit(key, m, scope) ?? (m.index !== undefined && headerMatches(m.index.hdr, key.field, key.value));
    case 'body':
      return sealedHit(key, m, scope) ?? (m.index !== undefined && bodyMatches(m.index.text, key.value));
    case 'text':
      return sealedHit(key, m, scope) ?? (m.index !== undefined && textMatches(m.index.hdr, m.index.text, key.value));
    case 'modseq':
      return m.modseq >= key.modSeq;
    // RFC 5032 §2: "exact matching, to the resolution of a second"; the target time itself matches both keys.
    case 'younger':
      return Math.floor(m.date / 1000) >= Math.floor(scope.now / 1000) - key.seconds;
    case 'older':
      return Math.floor(m.date / 1000) <= Math.floor(scope.now / 1000) - key.seconds;
    // RFC 8514 §4.3: every mailbox here keeps save dates.
    case 'savedatesupported':
      return true;
    // RFC 8474 §6: "exactly the specified ObjectID" (case-sensitive).
    case 'emailid':
      return m.emailId !== undefined && emailObjectId(m.emailId) === key.id;
    case 'threadid':
      return m.index !== undefined && m.emailId !== undefined && threadObjectId(m.index, m.emailId) === key.id;
  }
}

/** The date a BEFORE/ON/SINCE-style key compares. A message stored before save dates were kept has none: RFC 8514
 * §4.3 falls back to the internal date where the save date is not supported. */
function dateOf(field: 'internal' | 'sent' | 'saved', m: SearchSubject): number | null {
  if (field === 'internal') return m.date;
  if (field === 'sent') return m.index?.hdr.date ?? null;
  return m.saveDate ? m.saveDate : m.date;
}

function inSet(set: SequenceSet, n: number, max: number): boolean {
  return max > 0 && sequenceSetHas(set, n, max);
}

function hasFlag(m: SearchSubject, flag: string): boolean {
  const lower = flag.toLowerCase();
  if (lower === '\\recent') return m.recent;
  const bit = SYSTEM_BITS[lower];
  if (bit !== undefined) return (m.bits & bit) !== 0;
  return m.keywords.some((k) => k.toLowerCase() === lower);
}

/** Dates compare by day, ignoring time and timezone (RFC 3501 §6.4.4); days are taken in UTC. */
function dateMatches(ms: number | null, op: 'before' | 'on' | 'since', date: ImapDate): boolean {
  if (ms === null) return false;
  const day = Math.floor(ms / DAY_MS);
  const target = Date.UTC(date.year, date.month - 1, date.day) / DAY_MS;
  if (op === 'before') return day < target;
  if (op === 'on') return day === target;
  return day >= target;
}
