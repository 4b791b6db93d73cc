// Blob garbage collection: the per-user mark-and-sweep of storage-design §C8. Blobs are never deleted in the request
// path; this sweep deletes a body (and its cold item) only when no hot item of the owner references it and it is
// older than the grace period (I7). Prefixes of deleted users and tenants are emptied whole.
//
// The mark is not a point-in-time read: while it pages through mailbox A and then B, a MOVE or COPY+EXPUNGE can carry
// a message from B (not yet scanned) into A (already scanned). So (1) each mailbox's scan starts at its META modseq
// m0; (2) once every scan is done, the names are listed again (time R) and new mailboxes scanned; (3) then each
// mailbox's change log (m0, now] adds every emailId an A (append, copy, move in) or X (expunge, move out) entry names.
// Every message that was alive at any moment of its mailbox's window [scan start, log read] is marked. A message alive
// when the sweep deletes but unmarked was created after its window (so after R), by COPY or MOVE from a source alive
// then, itself unmarked and created after R, and so on back to an APPEND committed after R: its blob is younger than
// the grace period (an APPEND takes less than the grace from blob put to commit), and young blobs stay.
import type { BlobListEntry } from '../storage/blob.js';
import type { KvItem } from '../storage/kv.js';
import type { StoreContext } from './context.js';
import { SESSION_SECONDS } from './directory.js';
import { MailStoreError } from './errors.js';
import type { EmailId, MailboxId, TenantId, UserId } from './ids.js';
import { blobKeys, keys } from './keys.js';
import { queryAll } from './query-all.js';
import { usersInScope, type UserScope } from './user-scope.js';
import { sweepSegments, type SegmentSweep } from './search-gc.js';
import { sweepSnapshots } from './snapshots.js';
import { DAY_MS, DEFAULT_LOG_RETENTION_DAYS, trimLog } from './log-retention.js';

export const DEFAULT_GRACE_MS = 24 * 3600 * 1000;

export interface GcOptions {
  /** Unreferenced blobs last modified at least this long ago go (default 24 h). */
  graceMs?: number;
  /** The clock (ms); tests move it. */
  now?: number;
  /** Report what would go, delete nothing. */
  dryRun?: boolean;
  /**
   * Change-log items older than this go (default 60 days, log-retention.ts). Keep it far above the sweep's own
   * window (markUser reads each mailbox's log since its scan began) and the snapshot-refresh horizon.
   */
  logRetentionMs?: number;
  /** Test seam: runs after each mailbox's hot items were scanned, where a concurrent MOVE does the most harm. */
  afterMailboxScan?: (mailboxId: string) => Promise<void>;
}

export interface UserSweep {
  tenantId: string;
  userId: string;
  /** Message blobs under the user's prefix. */
  blobs: number;
  referenced: number;
  /** Unreferenced but younger than the grace period: an APPEND may still commit them. */
  young: number;
  /** Unreferenced and old: deleted (or, with dryRun, would be). */
  orphans: { emailId: string; size: number; lastModified: number }[];
  /** Search segments under the user's prefix (search-gc.ts). */
  segments?: SegmentSweep;
  /** Superseded index snapshots deleted (or, with dryRun, that would be). */
  snapshots?: number;
  /** Change-log items older than the retention deleted (or, with dryRun, that would be). */
  logTrimmed?: number;
}

export interface PrefixSweep {
  prefix: string;
  deleted: number;
  /** The owner still exists (deletion not finished): nothing was touched. */
  waiting: boolean;
  /** The tombstone was dropped: no APPEND of the deleted owner can still write here. */
  done: boolean;
}

export interface GcReport {
  users: UserSweep[];
  deletedOwners: PrefixSweep[];
}

/** Every blob under `prefix`, page after page. */
export async function listAllBlobs(ctx: StoreContext, prefix: string): Promise<BlobListEntry[]> {
  const out: BlobListEntry[] = [];
  let cursor: string | undefined;
  do {
    const page = await ctx.blob.list(prefix, cursor === undefined ? {} : { cursor });
    out.push(...page.entries);
    cursor = page.cursor;
  } while (cursor);
  return out;
}

/** The emailId of a message blob key `…/m/<emailId>.eml`, or undefined for anything else. */
export function emailIdOfBlob(key: string): EmailId | undefined {
  const m = /\/m\/([^/]+)\.eml$/.exec(key);
  return m ? (m[1] as EmailId) : undefined;
}

async function mailboxIdsOf(ctx: StoreContext, userId: UserId): Promise<MailboxId[]> {
  return (await queryAll(ctx, `U#${userId}`, 'N#')).map((n) => n.mailboxId as MailboxId);
}

async function activeModseq(ctx: StoreContext, mailboxId: MailboxId): Promise<number | undefined> {
  const meta = await ctx.kv.get('mail', keys.mailbox(mailboxId), { consistent: true });
  return meta && meta.state === 'active' ? (meta.modseq as number) : undefined;
}

/** Log items (from, to] of a mailbox; undefined when the log no longer reaches back (truncated: rescan instead). */
async function logBetween(ctx: StoreContext, mailboxId: MailboxId, from: number, to: number): Promise<KvItem[] | undefined> {
  const items: KvItem[] = [];
  let cursor: string | undefined;
  do {
    const page = await ctx.kv.query('mail', {
      pk: `M#${mailboxId}`,
      sk: { between: [keys.logSortKey(from + 1), keys.logSortKey(to)] },
      consistent: true,
      cursor,
    });
    items.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  return items.length === to - from ? items : undefined;
}

/**
 * The mark: every emailId a hot item of the user's mailboxes references during the call (see the header), plus any
 * released since a mailbox's scan began (marking too much is safe, too little not). One pass, no quiet moment needed.
 */
export async function markUser(ctx: StoreContext, userId: UserId, options: Pick<GcOptions, 'afterMailboxScan'> = {}): Promise<Set<string>> {
  const refs = new Set<string>();
  /** Mailbox → the modseq its scan started at; absent from the map: not active (nothing to mark). */
  const scannedAt = new Map<MailboxId, number>();
  const scan = async (mailboxId: MailboxId): Promise<void> => {
    const m0 = await activeModseq(ctx, mailboxId);
    if (m0 === undefined) return;
    scannedAt.set(mailboxId, m0);
    for (const item of await queryAll(ctx, `M#${mailboxId}`, 'U#')) refs.add(item.e as string);
    await options.afterMailboxScan?.(mailboxId);
  };
  const listed = new Set(await mailboxIdsOf(ctx, userId));
  for (const id of listed) await scan(id);
  // R: mailboxes made during the scans (RENAME INBOX, CREATE) hold messages moved in meanwhile.
  for (const id of await mailboxIdsOf(ctx, userId)) if (!listed.has(id)) await scan(id);
  for (const [id, m0] of scannedAt) {
    const m1 = await activeModseq(ctx, id);
    if (m1 === undefined || m1 === m0) continue; // deleted meanwhile (its messages went with it), or unchanged
    const log = await logBetween(ctx, id, m0, m1);
    // A log truncated within the sweep's own window cannot happen with any sane retention; never guess.
    if (!log) throw new MailStoreError('UNAVAILABLE', `The change log of mailbox ${id} does not reach back to ${m0}`);
    for (const entry of log) {
      if ((entry.op === 'A' || entry.op === 'X') && Array.isArray(entry.e)) for (const e of entry.e) refs.add(e as string);
    }
  }
  return refs;
}

/** Deletes one message body: the cold item first, so a crash in between leaves a blob the next sweep finds again. */
async function deleteBody(ctx: StoreContext, key: string): Promise<void> {
  const emailId = emailIdOfBlob(key);
  if (emailId) await ctx.kv.delete('msgmeta', keys.cold(emailId));
  await ctx.blob.delete(key);
}

/** Mark and sweep one user's message blobs. */
export async function sweepUser(ctx: StoreContext, tenantId: TenantId, userId: UserId, options: GcOptions = {}): Promise<UserSweep> {
  // The cutoff is fixed before the mark: a blob older than it belongs to an APPEND that has finished or failed.
  const now = options.now ?? Date.now();
  const cutoff = now - (options.graceMs ?? DEFAULT_GRACE_MS);
  const refs = await markUser(ctx, userId, options);
  const out: UserSweep = { tenantId, userId, blobs: 0, referenced: 0, young: 0, orphans: [] };
  for (const entry of await listAllBlobs(ctx, blobKeys.messagesPrefix(tenantId, userId))) {
    const emailId = emailIdOfBlob(entry.key);
    if (!emailId) continue;
    out.blobs++;
    if (refs.has(emailId)) out.referenced++;
    else if (entry.lastModified.getTime() >= cutoff) out.young++;
    else {
      out.orphans.push({ emailId, size: entry.size, lastModified: entry.lastModified.getTime() });
      if (!options.dryRun) await deleteBody(ctx, entry.key);
    }
  }
  out.segments = await sweepSegments(ctx, tenantId, userId, cutoff, options.dryRun);
  // Index snapshots superseded longer than the grace ago; never a mailbox's current one (snapshots.ts).
  out.snapshots = await sweepSnapshots(ctx, tenantId, userId, cutoff, options.dryRun === true);
  // After the mark, whose log reads this trim must not cut short (the retention is days, the mark minutes).
  const logCutoff = now - (options.logRetentionMs ?? DEFAULT_LOG_RETENTION_DAYS * DAY_MS);
  out.logTrimmed = 0;
  for (const id of await mailboxIdsOf(ctx, userId)) out.logTrimmed += await trimLog(ctx, id, logCutoff, options.dryRun);
  return out;
}

/**
 * Empties the prefixes of deleted users and tenants (tombstones `GC/P#<prefix>` written by tenants.ts). No grace is
 * needed for what is there: the owner's mailboxes are closed, so nothing can reference it. The tombstone stays until a
 * sweep runs later than any session of the deleted user could still upload (its token lifetime, or the grace if
 * longer), so a blob an APPEND wrote after the delete is swept too.
 */
export async function sweepDeletedOwners(ctx: StoreContext, options: GcOptions = {}): Promise<PrefixSweep[]> {
  const now = options.now ?? Date.now();
  const linger = Math.max(options.graceMs ?? DEFAULT_GRACE_MS, SESSION_SECONDS * 1000);
  const out: PrefixSweep[] = [];
  const tombstones = keys.gcPrefixes();
  for (const tomb of await queryAll(ctx, tombstones.pk, tombstones.prefix)) {
    const prefix = tomb.sk.slice(2);
    const owner =
      typeof tomb.userId === 'string'
        ? await ctx.kv.get('mail', keys.user(tomb.userId as UserId), { consistent: true })
        : await ctx.kv.get('mail', keys.tenant(tomb.tenantId as TenantId), { consistent: true });
    if (owner) {
      out.push({ prefix, deleted: 0, waiting: true, done: false });
      continue;
    }
    const entries = await listAllBlobs(ctx, prefix);
    if (!options.dryRun) for (const entry of entries) await deleteBody(ctx, entry.key);
    const done = !options.dryRun && now - (tomb.at as number) > linger;
    if (done) await ctx.kv.delete('mail', { pk: tomb.pk, sk: tomb.sk });
    out.push({ prefix, deleted: entries.length, waiting: false, done });
  }
  return out;
}

/** GC over a scope: the users' sweeps, and (for `all`) the prefixes of deleted owners. */
export async function collectGarbage(ctx: StoreContext, scope: UserScope, options: GcOptions = {}): Promise<GcReport> {
  const report: GcReport = { users: [], deletedOwners: [] };
  for await (const user of usersInScope(ctx, scope)) report.users.push(await sweepUser(ctx, user.tenantId, user.userId, options));
  if ('all' in scope) report.deletedOwners = await sweepDeletedOwners(ctx, options);
  return report;
}
