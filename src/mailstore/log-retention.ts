// Change-log retention (storage-design §C "Change log", item 10): a mailbox's `L#<modseq>` items older than the
// retention are deleted by the per-user GC sweep (gc.ts), on every backend alike. Readers already treat a log that
// no longer reaches back as "resync" (mailboxes.ts mailboxChanges checks density), so trimming changes no answer.
//
// What the trim keeps, and why:
// - Only a prefix goes: items are visited oldest first and the walk stops at the first one not old enough, so the
//   log stays dense from its first item to META's modseq (I2, "truncated only from the front", fsck.ts). `at` is
//   the writer's clock and may step back across writers; stopping at the first young item keeps it a prefix anyway.
// - Never the newest item: it is what a writer whose commit timed out reads to learn whether it landed
//   (commit.ts `landed`), and it keeps an idle mailbox's log non-empty.
// - Deletes are single, sequential, oldest first: a crash leaves a shorter prefix gone, never a hole, and a plain
//   delete costs one write unit where a transactional one costs two.
// Why not DynamoDB's own TTL (free deletes): it deletes in no order and would take the newest item of a mailbox
// idle for longer than the retention; and SQLite has no TTL, so the sweep is needed there anyway.
import type { KvItem } from '../storage/kv.js';
import type { StoreContext } from './context.js';
import type { MailboxId } from './ids.js';
import { keys } from './keys.js';

export const DEFAULT_LOG_RETENTION_DAYS = 60;
export const DAY_MS = 24 * 3600 * 1000;

/** Items per query page: a day's changes of a busy mailbox in a few pages. The first page is small: in most runs
 * its first item is young and ends the walk. */
const PAGE = 100;
const FIRST_PAGE = 4;

/**
 * Deletes the mailbox's change-log items written before `cutoff` (ms), oldest first, never the newest item.
 * Returns how many went (with `dryRun`: would go). One query page per PAGE items, and one delete per item trimmed.
 */
export async function trimLog(ctx: StoreContext, mailboxId: MailboxId, cutoff: number, dryRun = false): Promise<number> {
  let trimmed = 0;
  // The item seen last: deleted only once a later item proves it is not the newest.
  let held: KvItem | undefined;
  let cursor: string | undefined;
  do {
    const page = await ctx.kv.query('mail', { ...logRange(mailboxId), limit: cursor ? PAGE : FIRST_PAGE, cursor, consistent: true });
    for (const item of page.items) {
      if (held) {
        if (!dryRun) await ctx.kv.delete('mail', { pk: held.pk, sk: held.sk });
        trimmed++;
      }
      if (typeof item.at !== 'number' || item.at >= cutoff) return trimmed; // the first young item ends the prefix
      held = item;
    }
    cursor = page.cursor;
  } while (cursor);
  return trimmed; // `held`, if any, is the newest item: it stays
}

function logRange(mailboxId: MailboxId): { pk: string; sk: { beginsWith: string } } {
  const range = keys.logPrefix(mailboxId);
  return { pk: range.pk, sk: { beginsWith: range.prefix } };
}
