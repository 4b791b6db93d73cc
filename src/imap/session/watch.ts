// Connects the selected view to the process's mailbox cache: changes other sessions (on this or another frontend)
// commit reach the view through the cache's single log read per mailbox, are queued by the view, and — when the
// session is in IDLE — pushed at once through `state.onViewChange`. Without a cache (no hints configured) the view
// only learns at NOOP, CHECK and its own writes (freshness.ts).
import type { LogEntry, MailboxStatus } from '../../mailstore/api.js';
import type { MailboxWatcher, OpenedMailbox, SharedAdvance } from '../../mailstore/mailbox-cache.js';
import type { CommandContext } from './context.js';
import type { MailboxView } from './mailbox-view.js';
import type { SessionState } from './state.js';
import { applyOpened } from './freshness.js';

export function watchSelected(ctx: CommandContext, view: MailboxView): void {
  const cache = ctx.deps.mailboxes;
  if (!cache) return;
  ctx.state.unwatch = cache.watch(new ViewWatcher(ctx.state, view, ctx.state.token));
}

/** One object per selected view (not a closure per callback: 10,000 idle sessions each hold one of these). */
class ViewWatcher implements MailboxWatcher {
  readonly mailboxId: string;

  constructor(
    private readonly state: SessionState,
    private readonly view: MailboxView,
    private readonly sessionToken: string,
  ) {
    this.mailboxId = view.mailboxId;
  }

  modseq(): number {
    return this.view.modseq;
  }

  token(): string {
    return this.sessionToken;
  }

  path(): string {
    return this.view.path;
  }

  changes(entries: readonly LogEntry[], status: MailboxStatus, advance?: SharedAdvance): void {
    // With `advance`, a view that holds what the cache held takes the cache's new columns (O(1) per session).
    if (this.view.applyChanges(entries, status, advance)) this.state.onViewChange?.();
  }

  resync(opened: OpenedMailbox): void {
    if (applyOpened(this.view, opened)) this.state.onViewChange?.();
  }
}
