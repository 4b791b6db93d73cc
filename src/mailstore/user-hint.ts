// Hints that are not a mailbox's commit, published on the same hint bus as the per-mailbox ones, so they travel
// in-process, over IPC between workers and over Redis unchanged (the channel is just another id). Each is a fact, no
// data: a frontend that cares reads what it needs and decides what to tell its clients (RFC 5465 NOTIFY,
// imap/session/notify-hub.ts). The `modseq` of the user- and tenant-level hints is only a strictly positive number
// the buses accept; nobody orders by it.
//
// - user-level, `{mailboxId: userHintId(user)}`: after a CREATE, DELETE, RENAME or (UN)SUBSCRIBE of the user, and
//   after an ACL change naming the user (MailboxName, SubscriptionChange: the user's mailbox list changed).
// - tenant-level, `{mailboxId: tenantHintId(tenant)}`: after an ACL change naming `anyone` (RFC 4314), which can
//   change the mailbox list of every user of the tenant. ONE hint, whatever the number of users: a frontend lists
//   again only for the users it has watching.
// - access, on the mailbox's own channel at its current MODSEQ, after any ACL change: mailbox caches at that MODSEQ
//   read nothing (mailbox-cache.ts), NOTIFY watchers read the status again with their own rights and learn that they
//   lost (or kept) access (RFC 5465 §5.9).
import type { StoreContext } from './context.js';

/** Never a mailbox id (ULIDs have no "/"), so the per-mailbox listeners never see it. */
export function userHintId(userId: string): string {
  return `user/${userId}`;
}

/** As userHintId, for the tenant; the prefix keeps it apart from every user's channel. */
export function tenantHintId(tenantId: string): string {
  return `tenant/${tenantId}`;
}

/** Fire and forget, like every hint: a lost one only delays the frontends until their next look. */
export function publishUserHint(ctx: StoreContext, userId: string): void {
  publish(ctx, userHintId(userId), Date.now());
}

export function publishTenantHint(ctx: StoreContext, tenantId: string): void {
  publish(ctx, tenantHintId(tenantId), Date.now());
}

/** The mailbox's rights changed, not its data: `modseq` is its current one (at least 1, as the buses want). */
export function publishAccessHint(ctx: StoreContext, mailboxId: string, modseq: number): void {
  publish(ctx, mailboxId, Math.max(1, modseq));
}

function publish(ctx: StoreContext, mailboxId: string, modseq: number): void {
  try {
    ctx.publishHint?.({ mailboxId, modseq });
  } catch {
    // only "look now"
  }
}
