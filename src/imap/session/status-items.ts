// The values of STATUS items (RFC 3501 §6.3.10, RFC 9051 §6.3.11) from a mailbox's status, in the order asked, for
// every answer that carries them: the STATUS command, LIST RETURN (STATUS …) (RFC 5819) and NOTIFY's unsolicited
// STATUS responses (RFC 5465 §5.1–5.3).
import type { StatusItem } from '../command.js';
import type { MailboxStatus } from '../../mailstore/api.js';
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
