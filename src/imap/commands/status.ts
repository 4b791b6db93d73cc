// STATUS (RFC 3501 §6.3.10). One META read (plus the name read the first time this process sees the path:
// session/mailbox-id-hints.ts). RECENT, "the number of messages with the \Recent flag set": for the
// selected mailbox the session's own recent set; for another, the messages no session has claimed yet — exactly
// those the next rev1 SELECT gets as recent (session/recent.ts), so STATUS and that SELECT agree.
import type { StatusCommand, StatusItem } from '../command.js';
import type { CommandContext, Handler } from '../session/context.js';
import { done } from '../session/context.js';
import { storePath } from '../session/mailbox-names.js';
import { isRev2, utf8Names } from '../session/revision.js';
import { statusData } from '../encoder.js';
import { enableCondstore } from '../session/condstore.js';
import { statusPairs } from '../session/status-items.js';
import { mailboxIdHintsOf } from '../session/mailbox-id-hints.js';

/**
 * Ask the store to count unclaimed messages only for RECENT in a rev1 session, and not for the selected mailbox
 * (answered from the view). IMAP4rev2 has no RECENT item (RFC 9051 §6.3.11, Appendix E item 12) and a rev2 session
 * claims nothing, so no message is \Recent for it: it gets RECENT 0 at no cost, as its SEARCH RECENT finds none.
 */
export function unclaimedWanted(items: readonly StatusItem[], path: string, ctx: CommandContext): { unclaimed?: true } {
  const wanted = items.includes('RECENT') && !isRev2(ctx.state.enabled) && ctx.state.view?.path !== path;
  return wanted ? { unclaimed: true } : {};
}

export const status: Handler<StatusCommand> = async (command, ctx) => {
  const path = storePath(command.mailbox, utf8Names(ctx.state.enabled));
  const login = ctx.state.user?.login ?? '';
  const hints = mailboxIdHintsOf(ctx.deps.store);
  const known = hints.get(login, path);
  const s = await ctx.deps.store.call('mailbox.status', {
    token: ctx.state.token,
    path,
    ...unclaimedWanted(command.items, path, ctx),
    ...(known === undefined ? {} : { mailboxId: known }),
  });
  hints.set(login, path, s.mailboxId);
  const recent = ctx.state.view?.mailboxId === s.mailboxId ? ctx.state.view.recentCount : (s.unclaimed ?? 0);
  if (command.items.includes('HIGHESTMODSEQ')) enableCondstore(ctx); // RFC 7162 §3.1: a CONDSTORE enabling command
  const utf8 = utf8Names(ctx.state.enabled);
  await ctx.out.send(statusData(path, statusPairs(command.items, s, recent, ctx.deps.limits.maxMessageBytes), utf8));
  return done('STATUS completed');
};
