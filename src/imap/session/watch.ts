// Connects the selected view to the process's mailbox cache: changes other sessions (on this or another frontend)
// commit reach the view through the cache's single log read per mailbox, are queued by the view, and — when the
// session is in IDLE — pushed at once through `state.onViewChange`. Without a cache (no hints configured) the view
// only learns at NOOP, CHECK and its own writes (freshness.ts).
import type { CommandContext } from './context.js';
import type { MailboxView } from './mailbox-view.js';
import { applyOpened } from './freshness.js';

export function watchSelected(ctx: CommandContext, view: MailboxView): void {
  const cache = ctx.deps.mailboxes;
  if (!cache) return;
  const token = ctx.state.token;
  const state = ctx.state;
  state.unwatch = cache.watch({
    mailboxId: view.mailboxId,
    modseq: () => view.modseq,
    token: () => token,
    path: () => view.path,
    changes(entries, status) {
      if (view.applyChanges(entries, status)) state.onViewChange?.();
    },
    resync(opened) {
      if (applyOpened(view, opened)) state.onViewChange?.();
    },
  });
}
