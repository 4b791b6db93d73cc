// \Recent for rev1 sessions (RFC 3501 §2.3.2): a session claims the messages it is about to announce — all of them
// at SELECT, new arrivals before each flush — and only the UIDs it wins are recent for it (mailstore/recent.ts), so
// exactly one session, on whichever frontend, sees a new message as recent. EXAMINE and rev2 sessions claim nothing.
import type { CommandContext } from './context.js';
import type { MailboxView } from './mailbox-view.js';

/**
 * Per process: the highest UID a session here already asked to claim, per mailbox. When a new message reaches many
 * idling sessions of one process, the first asks the store and the rest know they lost without asking: one store
 * call per message and process, not one per session. Keyed by the process's store client — every connection has its
 * own copy of ImapDeps, so keying by that made it one call per session (test/e2e/idle-fanout.test.ts counts it).
 */
const askedByProcess = new WeakMap<object, Map<string, number>>();
const MAX_MAILBOXES = 10_000;

function asked(deps: object): Map<string, number> {
  let map = askedByProcess.get(deps);
  if (!map) askedByProcess.set(deps, (map = new Map()));
  return map;
}

/**
 * True when announcing what the view has pending needs no store call for \Recent: nothing to claim (rev2, EXAMINE,
 * already claimed), or another session of this process asked first (the view then takes the lost claim now). The
 * IDLE fan-out (commands/idle.ts) writes such sessions' updates at once, without waiting on `claimRecent`.
 */
export function recentSettledHere(ctx: CommandContext, view: MailboxView, upTo = view.pendingUidNext): boolean {
  if (!view.claimsRecent || upTo <= view.recentClaimedTo) return true;
  if (upTo > (asked(ctx.deps.store).get(view.mailboxId) ?? 0)) return false;
  view.claimRecent(upTo, upTo);
  return true;
}

/** Claims UIDs below `upTo` (by default: up to the newest message the view has learned of but not announced). */
export async function claimRecent(ctx: CommandContext, view: MailboxView, upTo = view.pendingUidNext): Promise<void> {
  if (!view.claimsRecent || upTo <= view.recentClaimedTo) return;
  const here = asked(ctx.deps.store);
  if (upTo <= (here.get(view.mailboxId) ?? 0)) {
    view.claimRecent(upTo, upTo); // another session of this process has (or is getting) them
    return;
  }
  here.delete(view.mailboxId);
  here.set(view.mailboxId, upTo);
  if (here.size > MAX_MAILBOXES) here.delete(here.keys().next().value as string);
  try {
    const won = await ctx.deps.store.call('mailbox.claimRecent', { token: ctx.state.token, mailboxId: view.mailboxId, upTo });
    view.claimRecent(won.from, won.to);
  } catch (err) {
    // \Recent is advisory: a failed claim leaves the messages not recent for this session rather than failing a command.
    ctx.deps.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'recent claim failed');
  }
}
