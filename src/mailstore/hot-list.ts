// The hot list (a mailbox's hot items, column-wise) moved forward by change-log entries: one place, used by SELECT's
// load in the functions and by the frontend's mailbox snapshots (mailbox-cache.ts). UIDs are ascending (I1), so
// lookups are binary searches and a 1M-message list takes a change in O(log n), not O(n).
import type { HotList, LogEntry } from './api.js';

/** The index of `uid` in the first `length` of the ascending `uids`, or -1. */
export function indexOfUid(uids: ArrayLike<number>, uid: number, length = uids.length): number {
  let lo = 0;
  let hi = length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const at = uids[mid]!;
    if (at === uid) return mid;
    if (at < uid) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** Applies log entries to a hot list, each to a message only if it is newer than the message (§C5). */
export function applyEntries(list: HotList, entries: readonly LogEntry[]): void {
  for (const entry of entries) {
    if (entry.op === 'A') {
      for (let i = 0; i < entry.added.uids.length; i++) {
        const uid = entry.added.uids[i]!;
        // New UIDs are above every UID the list has (UIDs are allocated in commit order); anything else is known.
        const last = list.uids.length > 0 ? list.uids[list.uids.length - 1]! : 0;
        if (uid <= last) continue;
        list.uids.push(uid);
        list.flags.push(entry.added.flags[i]!);
        list.keywords.push(entry.added.keywords[i]!);
        list.modseqs.push(entry.added.modseqs[i]!);
        list.sizes.push(entry.added.sizes[i]!);
        list.dates.push(entry.added.dates[i]!);
        list.emailIds.push(entry.added.emailIds[i]!);
        if (list.saveDates) list.saveDates.push(entry.added.saveDates?.[i] ?? 0);
      }
    } else if (entry.op === 'F') {
      entry.uids.forEach((uid, i) => {
        const at = indexOfUid(list.uids, uid);
        if (at >= 0 && list.modseqs[at]! < entry.modseq) {
          list.flags[at] = entry.flags[i]!;
          list.keywords[at] = entry.keywords[i]!;
          list.modseqs[at] = entry.modseq;
        }
      });
    } else if (entry.op === 'X') {
      const gone = new Set(entry.uids);
      const keep = list.uids.map((u) => !gone.has(u));
      for (const column of Object.values(list) as unknown[][]) {
        const kept = column.filter((_, i) => keep[i]);
        column.length = 0;
        column.push(...kept);
      }
    }
  }
}
