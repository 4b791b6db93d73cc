// A queued view update as the wire response that announces it (encoder.ts writes it).
import type { ResponsePiece } from '../encoder.js';
import { existsData, expungeData, fetchResponse, flagsData, recentData, vanishedData } from '../encoder.js';
import type { FetchValue } from '../encoder.js';
import type { ViewUpdate } from './mailbox-view.js';

/**
 * The wire bytes of an update, shared between sessions where they agree: when a hint reaches N idling sessions that
 * were caught up to the same state, each announces the same `* k EXISTS` (and `* k RECENT`, `* k EXPUNGE`), so the
 * bytes are made once and the same Buffer is written to every socket. Other updates (FETCH FLAGS carries the
 * session's own sequence number and flags) are encoded per session.
 */
export function updateBytes(update: ViewUpdate): Buffer | string | readonly ResponsePiece[] {
  if (update.kind !== 'exists' && update.kind !== 'recent' && update.kind !== 'expunge') return updateResponse(update);
  const n = update.kind === 'expunge' ? update.seq : update.count;
  // Keyed by number per kind: no key string is built per session (10,000 sessions look the same one up per hint).
  const table = shared[update.kind];
  let bytes = table.get(n);
  if (!bytes) {
    // A handful of counts are live at once (one per hint per mailbox state); the table is emptied when it grows.
    if (table.size >= MAX_SHARED) table.clear();
    bytes = Buffer.from(updateResponse(update) as string, 'latin1');
    table.set(n, bytes);
  }
  return bytes;
}

const MAX_SHARED = 256;
const shared = { exists: new Map<number, Buffer>(), recent: new Map<number, Buffer>(), expunge: new Map<number, Buffer>() };

/**
 * A rev1 session's usual push, `* k EXISTS` and `* r RECENT`, as one shared Buffer (one write, no concatenation per
 * session); undefined for anything else.
 */
export function existsRecentBytes(updates: readonly ViewUpdate[]): Buffer | undefined {
  const [exists, recent] = updates;
  if (updates.length !== 2 || exists?.kind !== 'exists' || recent?.kind !== 'recent') return undefined;
  let byRecent = existsRecent.get(exists.count);
  if (!byRecent) {
    if (existsRecent.size >= MAX_SHARED) existsRecent.clear();
    existsRecent.set(exists.count, (byRecent = new Map()));
  }
  let bytes = byRecent.get(recent.count);
  if (!bytes) {
    if (byRecent.size >= MAX_SHARED) byRecent.clear();
    bytes = Buffer.concat([updateBytes(exists) as Buffer, updateBytes(recent) as Buffer]);
    byRecent.set(recent.count, bytes);
  }
  return bytes;
}

const existsRecent = new Map<number, Map<number, Buffer>>();

export function updateResponse(update: ViewUpdate): string | readonly ResponsePiece[] {
  switch (update.kind) {
    case 'expunge':
      return expungeData(update.seq);
    case 'vanished':
      return vanishedData(update.uids, false);
    case 'exists':
      return existsData(update.count);
    case 'recent':
      return recentData(update.count);
    case 'flags':
      return flagsData(update.flags);
    case 'fetch': {
      // RFC 9586 §3.6: under UIDONLY `* uid UIDFETCH (FLAGS …)`, the UID in front instead of a sequence number.
      const values: FetchValue[] = update.uidFetch ? [] : [{ name: 'UID', uid: update.uid }];
      values.push({ name: 'FLAGS', flags: update.flags });
      if (update.modseq !== undefined) values.push({ name: 'MODSEQ', modSeq: update.modseq });
      return update.uidFetch ? fetchResponse(update.uid, values, true) : fetchResponse(update.seq, values);
    }
  }
}
