// STATUS (RFC 3501 §6.3.10). One META read. RECENT, "the number of messages with the \Recent flag set": for the
// selected mailbox the session's own recent set; for another, the messages no session has claimed yet — exactly
// those the next rev1 SELECT gets as recent (session/recent.ts), so STATUS and that SELECT agree.
import type { StatusCommand, StatusItem } from '../command.js';
import type { MailboxStatus } from '../../mailstore/api.js';
import type { CommandContext, Handler } from '../session/context.js';
import { done } from '../session/context.js';
import { storePath } from '../session/mailbox-names.js';
import { isRev2, utf8Names } from '../session/revision.js';
import { statusData } from '../encoder.js';
import { enableCondstore } from '../session/condstore.js';
import { mailboxObjectId } from '../wire/object-id.js';

/** One STATUS item's value, or null for an item this server does not answer. */
function statusItemValue(item: StatusItem, s: MailboxStatus, recent: number, appendLimit?: number): number | string | null {
  switch (item) {
    case 'MESSAGES':
      return s.messages;
    case 'RECENT':
      return recent;
    case 'UIDNEXT':
      return s.uidNext;
    case 'UIDVALIDITY':
      return s.uidValidity;
    case 'UNSEEN':
      return s.unseen;
    case 'DELETED':
      return s.deleted;
    case 'SIZE':
      return s.bytes;
    case 'HIGHESTMODSEQ':
      return s.highestModseq; // RFC 7162 §3.1.6 (every mailbox has mod-sequences)
    case 'APPENDLIMIT':
      return appendLimit ?? null; // RFC 7889 §4: one limit for every mailbox, as CAPABILITY says
    case 'MAILBOXID':
      return mailboxObjectId(s.mailboxId); // RFC 8474 §4.3
    default:
      return null; // not advertised (HIGHESTMODSEQ needs CONDSTORE, …): left out rather than guessed
  }
}

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
  const s = await ctx.deps.store.call('mailbox.status', { token: ctx.state.token, path, ...unclaimedWanted(command.items, path, ctx) });
  const recent = ctx.state.view?.mailboxId === s.mailboxId ? ctx.state.view.recentCount : (s.unclaimed ?? 0);
  if (command.items.includes('HIGHESTMODSEQ')) enableCondstore(ctx); // RFC 7162 §3.1: a CONDSTORE enabling command
  const utf8 = utf8Names(ctx.state.enabled);
  await ctx.out.send(statusData(path, statusPairs(command.items, s, recent, ctx.deps.limits.maxMessageBytes), utf8));
  return done('STATUS completed');
};

/** The requested items in order, leaving out those this server does not answer (also LIST RETURN (STATUS …)). */
export function statusPairs(
  items: readonly StatusItem[],
  s: MailboxStatus,
  recent: number,
  appendLimit?: number,
): [StatusItem, number | string][] {
  const pairs: [StatusItem, number | string][] = [];
  for (const item of items) {
    const v = statusItemValue(item, s, recent, appendLimit);
    if (v !== null) pairs.push([item, v]);
  }
  return pairs;
}
