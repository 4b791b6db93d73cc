// GC of search segments (search-segments.ts), part of the per-user sweep of gc.ts (storage-design §C8). The mark is
// the segment directories of the user's mailboxes: the segments they list, and those they retired less than the
// grace period ago (a SEARCH that read the directory before the swap may still be reading them). The sweep deletes
// every other segment blob under the user's `q/` prefix that is older than the grace period: superseded segments,
// segments of deleted mailboxes, and those of a seal that lost its directory swap. A seal writes its blobs before it
// swaps the directory, so a blob the mark does not see yet is young and stays.
import { ConditionFailedError } from '../storage/errors.js';
import type { StoreContext } from './context.js';
import type { MailboxId, TenantId, UserId } from './ids.js';
import { blobKeys, keys } from './keys.js';
import { queryAll } from './query-all.js';
import { directoryFromItem } from './search-segments.js';

export interface SegmentSweep {
  /** Segment blobs under the user's prefix. */
  blobs: number;
  /** Named by a directory (listed, or retired within the grace period). */
  referenced: number;
  /** Unreferenced but younger than the grace period. */
  young: number;
  /** Unreferenced and old: deleted (or, with dryRun, would be). */
  deleted: string[];
}

/** `…/q/<mailboxId>/<segmentId>.seg` → segment id. */
export function segmentIdOfBlob(key: string): string | undefined {
  const m = /\/q\/[^/]+\/([^/]+)\.seg$/.exec(key);
  return m ? m[1] : undefined;
}

/** Segment ids the user's directories still need at `cutoff` (retired ones only while younger than it). */
export async function markSegments(ctx: StoreContext, userId: UserId, cutoff: number): Promise<Set<string>> {
  const live = new Set<string>();
  for (const name of await queryAll(ctx, `U#${userId}`, 'N#')) {
    const item = await ctx.kv.get('mail', keys.searchDirectory(name.mailboxId as MailboxId), { consistent: true });
    const dir = directoryFromItem(item);
    for (const s of dir.segments) live.add(s.id);
    for (const r of dir.retired) if (r.at >= cutoff) live.add(r.id);
  }
  return live;
}

/** Mark and sweep one user's segment blobs; `cutoff` = now − grace, fixed before the mark. */
export async function sweepSegments(
  ctx: StoreContext,
  tenantId: TenantId,
  userId: UserId,
  cutoff: number,
  dryRun = false,
): Promise<SegmentSweep> {
  const live = await markSegments(ctx, userId, cutoff);
  const out: SegmentSweep = { blobs: 0, referenced: 0, young: 0, deleted: [] };
  const prefix = blobKeys.searchSegmentsPrefix(tenantId, userId);
  let cursor: string | undefined;
  do {
    const page = await ctx.blob.list(prefix, cursor === undefined ? {} : { cursor });
    for (const entry of page.entries) {
      const id = segmentIdOfBlob(entry.key);
      if (!id) continue;
      out.blobs++;
      if (live.has(id)) out.referenced++;
      else if (entry.lastModified.getTime() >= cutoff) out.young++;
      else {
        out.deleted.push(id);
        if (!dryRun) await ctx.blob.delete(entry.key);
      }
    }
    cursor = page.cursor;
  } while (cursor);
  return out;
}

/** fsck: the directory entries of a mailbox whose segment blob is missing (none: nothing dangles). */
export async function danglingSegments(
  ctx: StoreContext,
  owner: { tenantId: TenantId; userId: UserId },
  mailboxId: MailboxId,
): Promise<{ version: number; missing: string[] }> {
  const dir = directoryFromItem(await ctx.kv.get('mail', keys.searchDirectory(mailboxId), { consistent: true }));
  const missing: string[] = [];
  for (const s of dir.segments) {
    if (!(await ctx.blob.head(blobKeys.searchSegment(owner.tenantId, owner.userId, mailboxId, s.id)))) missing.push(s.id);
  }
  return { version: dir.version, missing };
}

/**
 * fsck repair of a dangling entry: drops the whole directory (if still at `version`), so every message is unsealed
 * again — SEARCH matches them from their raw bytes, or seals first when there are many (search-text.ts), until
 * the next seal rebuilds the segments — rather than silently missing some.
 */
export async function dropDirectory(ctx: StoreContext, mailboxId: MailboxId, version: number): Promise<boolean> {
  try {
    await ctx.kv.delete('mail', keys.searchDirectory(mailboxId), { condition: { op: 'eq', attr: 'v', value: version } });
    return true;
  } catch (err) {
    if (err instanceof ConditionFailedError) return false;
    throw err;
  }
}
