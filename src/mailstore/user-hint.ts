// The user-level change hint (RFC 5465 NOTIFY MailboxName / SubscriptionChange need it): after a CREATE, DELETE,
// RENAME or (UN)SUBSCRIBE commits, the store publishes `{mailboxId: userHintId(user), modseq: now}` on the same hint
// bus as the per-mailbox hints, so it travels in-process, over IPC between workers and over Redis unchanged (the
// channel is just another id). A fact, no data: a frontend that cares lists the user's mailboxes again and decides
// what to tell its clients. The `modseq` is only a strictly positive number the buses accept; nobody orders by it.
import type { StoreContext } from './context.js';

/** Never a mailbox id (ULIDs have no "/"), so the per-mailbox listeners never see it. */
export function userHintId(userId: string): string {
  return `user/${userId}`;
}

/** Fire and forget, like every hint: a lost one only delays the frontends until their next look. */
export function publishUserHint(ctx: StoreContext, userId: string): void {
  try {
    ctx.publishHint?.({ mailboxId: userHintId(userId), modseq: Date.now() });
  } catch {
    // only "look now"
  }
}
