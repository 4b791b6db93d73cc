// Walks the selected mailbox's view in batches of 100 and yields what `pick` makes of each message that matches a
// SEARCH key. Shared by SEARCH, SORT and THREAD (RFC 5256 §3: their criteria are SEARCH's): text keys are answered
// by the store (`message.searchText`); cold items are read (`message.meta`, cached per session) only when the key or
// the caller needs them for anything else.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { SearchKey } from '../command.js';
import { no } from '../response-codes.js';
import type { MessageIndex } from '../../mime/types.js';
import { matches, needsIndex, needsIndexBeyondText, textKeysOf, usesEmailId } from './search-evaluator.js';
import type { SealedMatches, SearchScope, SearchSubject, TextKeyNode } from './search-evaluator.js';
import type { TextKey } from '../../mime/search-match.js';
import type { MailboxView } from './mailbox-view.js';

const BATCH = 100;
/** Text in the store is UTF-8, and US-ASCII is a subset of it (RFC 3501 §6.4.4, RFC 5256 §3 require both). */
const CHARSETS = ['UTF-8', 'US-ASCII'];

/** SEARCH, SORT and THREAD answer NO [BADCHARSET (UTF-8 US-ASCII)] for any other charset (RFC 3501 §7.1). */
export function checkCharset(charset: string): void {
  if (!CHARSETS.includes(charset)) throw no({ code: 'BADCHARSET', charsets: CHARSETS }, 'Unsupported charset');
}

/** Reads cold items by emailId (session/meta-cache.ts). */
export interface MetaLoader {
  load(ids: readonly string[]): Promise<Map<string, MessageIndex>>;
  /**
   * Text keys matched by the store over the whole mailbox: per key the UIDs ≤ upTo that match. Required: cold items
   * hold no text since issue #8, so a scan without it would find no new message by BODY or TEXT.
   */
  searchText(mailboxId: string, keys: TextKey[]): Promise<{ upTo: number; uids: number[][] }>;
}

/** Distinct text keys per `message.searchText` call (the request's limit); a SEARCH with more makes several calls. */
const MAX_SEALED_KEYS = 64;

/**
 * Asks the store to match every text key (HEADER, FROM …, BODY, TEXT) of `key`: cold items hold no text (issue #8),
 * so the store answers them for every UID ≤ upTo, sealed or not (mailstore/search-text.ts). Several calls when the
 * key has more than MAX_SEALED_KEYS text keys; a message appended between two calls is above the lowest upTo and
 * answered by none of them.
 */
async function storeMatches(key: SearchKey, meta: MetaLoader, view: MailboxView): Promise<SealedMatches | undefined> {
  const nodes = textKeysOf(key);
  if (nodes.length === 0) return undefined;
  const hits = new Map<TextKeyNode, ReadonlySet<number>>();
  let upTo = Number.MAX_SAFE_INTEGER;
  let mixed = false;
  for (let i = 0; i < nodes.length; i += MAX_SEALED_KEYS) {
    const part = nodes.slice(i, i + MAX_SEALED_KEYS);
    const keys: TextKey[] = part.map((n) => (n.kind === 'header' ? { kind: 'header', field: n.field, value: n.value } : { kind: n.kind, value: n.value }));
    const answer = await meta.searchText(view.mailboxId, keys);
    if (i > 0 && answer.upTo !== upTo) mixed = true;
    upTo = Math.min(upTo, answer.upTo);
    part.forEach((n, j) => hits.set(n, new Set(answer.uids[j])));
  }
  if (mixed) for (const [n, set] of hits) hits.set(n, new Set([...set].filter((u) => u <= upTo)));
  return { upTo, hits };
}

/**
 * `pick` of every message of `view` matching `key`, in sequence order. `withIndex` forces the cold items to be
 * loaded (SORT by header fields, THREAD) even when the key alone would not need them.
 */
export async function scanView<T>(
  key: SearchKey,
  meta: MetaLoader | undefined,
  view: MailboxView,
  pick: (m: SearchSubject) => T,
  withIndex = false,
): Promise<T[]> {
  const scope: SearchScope = {
    count: view.count,
    maxUid: view.count > 0 ? view.uidAt(view.count - 1) : 0,
    now: Date.now(),
    saved: new Set(view.savedUids),
  };
  if (meta && view.count > 0) scope.sealed = await storeMatches(key, meta, view);
  // Cold items are still read for what is not text (the Date: header, THREADID, SORT fields, THREAD's references)
  // and, for text keys, only for messages the store did not answer: UIDs above its upTo (a message committed after
  // its META read: none the view holds, in practice).
  const beyondText = withIndex || needsIndexBeyondText(key);
  const loadIndex = beyondText || needsIndex(key);
  // UIDs ascend (I1): the messages the store answered for are a prefix of the view. A packed emailId is decoded on
  // each read (a ULID's 26 characters): for a large mailbox, decoding every one for each text SEARCH cost more than
  // matching the rest.
  const tailStart = !beyondText && scope.sealed ? firstAbove(view, scope.sealed.upTo) : 0;
  const allEmailIds = usesEmailId(key);
  const found: T[] = [];
  for (let start = 0; start < view.count; start += BATCH) {
    const end = Math.min(view.count, start + BATCH);
    let indexes: Map<string, MessageIndex> | undefined;
    // The embedded store answers without giving the event loop a turn; matching the text of a long unsealed tail in
    // one stretch held every other connection for tens of ms (bench/event-loop-stalls.ts). One turn per batch.
    if (start > tailStart && loadIndex) await nextTurn();
    if (loadIndex && meta && end > tailStart) {
      const ids: string[] = [];
      for (let i = Math.max(start, tailStart); i < end; i++) ids.push(view.emailIdAt(i));
      if (ids.length > 0) indexes = await meta.load(ids);
    }
    for (let i = start; i < end; i++) {
      const emailId = allEmailIds || (loadIndex && i >= tailStart) ? view.emailIdAt(i) : undefined;
      const subject: SearchSubject = {
        seq: i + 1,
        uid: view.uidAt(i),
        bits: view.bitsAt(i),
        keywords: view.keywordsAt(i),
        recent: view.isRecent(i),
        size: view.sizeAt(i),
        date: view.dateAt(i),
        modseq: view.modseqAt(i),
        index: indexes && emailId !== undefined ? indexes.get(emailId) : undefined,
        saveDate: view.saveDateAt(i),
        emailId,
      };
      if (matches(key, subject, scope)) found.push(pick(subject));
    }
  }
  return found;
}

/** The index of the first message of `view` whose UID is above `uid` (view.count when none). */
function firstAbove(view: MailboxView, uid: number): number {
  let lo = 0;
  let hi = view.count;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (view.uidAt(mid) > uid) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** A MODSEQ key asks for the highest MODSEQ of the answer (RFC 7162 §3.1.5 SEARCH, §3.1.9 SORT). */
export function usesModseq(key: SearchKey): boolean {
  switch (key.kind) {
    case 'modseq':
      return true;
    case 'and':
      return key.keys.some(usesModseq);
    case 'or':
      return usesModseq(key.left) || usesModseq(key.right);
    case 'not':
      return usesModseq(key.key);
    default:
      return false;
  }
}
