// FETCH ENVELOPE wire form (RFC 3501 §7.4.2, RFC 9051 §7.5.2):
// envelope = "(" env-date SP env-subject SP env-from SP env-sender SP env-reply-to SP env-to SP env-cc SP env-bcc
//            SP env-in-reply-to SP env-message-id ")"
import type { Address, Envelope } from '../../mime/types.js';
import { imapString } from './string.js';

/** address = "(" addr-name SP addr-adl SP addr-mailbox SP addr-host ")" */
function address(a: Address): string {
  return `(${imapString(a.name)} ${imapString(a.adl)} ${imapString(a.mailbox)} ${imapString(a.host)})`;
}

/** "(" 1*address ")" / nil — the addresses follow each other without separators. */
export function addressListWire(list: readonly Address[] | null): string {
  if (list === null || list.length === 0) return 'NIL';
  return `(${list.map(address).join('')})`;
}

export function envelopeWire(env: Envelope): string {
  return (
    `(${imapString(env.date)} ${imapString(env.subject)} ${addressListWire(env.from)} ` +
    `${addressListWire(env.sender)} ${addressListWire(env.replyTo)} ${addressListWire(env.to)} ` +
    `${addressListWire(env.cc)} ${addressListWire(env.bcc)} ${imapString(env.inReplyTo)} ` +
    `${imapString(env.messageId)})`
  );
}
