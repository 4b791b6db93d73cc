// One frozen flag-name list per distinct flag state (system-flag bits, keyword set, \Recent), shared by every
// message in that state: FETCH FLAGS of a mailbox then builds no array per message, and the encoder can keep the
// wire text of each list (encoder.ts flagsText). A mailbox has few distinct states, so the lists are few.
//
// Keyword sets are the interned arrays of the view's columns (mailstore/hot-columns.ts keywordsAt): the same set is
// the same array, so it can key a WeakMap; a set that is not interned just misses the cache and gets its own list.
import { flagNames } from '../../mailstore/flags.js';

/** Per keyword set: the list for each (bits << 1 | recent). System flags take the low 5 bits of a message's bits. */
const lists = new WeakMap<readonly string[], (readonly string[] | undefined)[]>();

/** The flags of a message as FETCH FLAGS shows them (RFC 3501 §2.3.2): system flags, keywords, then \Recent. */
export function flagListOf(bits: number, keywords: readonly string[], recent: boolean): readonly string[] {
  let byState = lists.get(keywords);
  if (!byState) {
    byState = [];
    lists.set(keywords, byState);
  }
  const slot = (bits << 1) | (recent ? 1 : 0);
  const hit = byState[slot];
  if (hit) return hit;
  const names = flagNames(bits, keywords);
  if (recent) names.push('\\Recent');
  const list = Object.freeze(names);
  // The hot item keeps flags in one byte (hot-columns.ts), so the table has at most 512 slots; anything wider is
  // built each time rather than growing it.
  if (slot < 512) byState[slot] = list;
  return list;
}
