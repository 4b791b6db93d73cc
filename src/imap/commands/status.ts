// STATUS (RFC 3501 §6.3.10). One META read; RECENT is a session notion here, so only the selected mailbox has any.
import type { StatusCommand, StatusItem } from '../command.js';
import type { MailboxStatus } from '../../mailstore/api.js';
import type { Handler } from '../session/context.js';
import { done } from '../session/context.js';
import { storePath } from '../session/mailbox-names.js';
import { statusData } from '../encoder.js';
import { enableCondstore } from '../session/condstore.js';

function value(item: StatusItem, s: MailboxStatus, recent: number): number | null {
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
    default:
      return null; // not advertised (HIGHESTMODSEQ needs CONDSTORE, …): left out rather than guessed
  }
}

export const status: Handler<StatusCommand> = async (command, ctx) => {
  const path = storePath(command.mailbox);
  const s = await ctx.deps.store.call('mailbox.status', { token: ctx.state.token, path });
  const recent = ctx.state.view?.mailboxId === s.mailboxId ? ctx.state.view.recentCount : 0;
  if (command.items.includes('HIGHESTMODSEQ')) enableCondstore(ctx); // RFC 7162 §3.1: a CONDSTORE enabling command
  await ctx.out.send(statusData(path, statusPairs(command.items, s, recent)));
  return done('STATUS completed');
};

/** The requested items in order, leaving out those this server does not answer (also LIST RETURN (STATUS …)). */
export function statusPairs(items: readonly StatusItem[], s: MailboxStatus, recent: number): [StatusItem, number][] {
  const pairs: [StatusItem, number][] = [];
  for (const item of items) {
    const v = value(item, s, recent);
    if (v !== null) pairs.push([item, v]);
  }
  return pairs;
}
