// ENVELOPE (RFC 3501 §7.4.2 / RFC 9051 §7.5.2) from a header block's fields.
import { parseAddressList } from './address.js';
import type { HeaderField } from './header-block.js';
import { firstField } from './header-block.js';
import type { Envelope } from './types.js';

function nonEmpty(value: string | null): string | null {
  return value === null || value === '' ? null : value;
}

export function buildEnvelope(fields: readonly HeaderField[]): Envelope {
  const from = parseAddressList(firstField(fields, 'from'));
  // "If the Sender or Reply-To lines are absent in the [RFC-2822] header, or are present but empty, the server sets
  // the corresponding member of the envelope to be the same value as the from member" (RFC 3501 §7.4.2).
  const sender = parseAddressList(firstField(fields, 'sender')) ?? from;
  const replyTo = parseAddressList(firstField(fields, 'reply-to')) ?? from;
  return {
    date: nonEmpty(firstField(fields, 'date')),
    subject: nonEmpty(firstField(fields, 'subject')),
    from,
    sender,
    replyTo,
    to: parseAddressList(firstField(fields, 'to')),
    cc: parseAddressList(firstField(fields, 'cc')),
    bcc: parseAddressList(firstField(fields, 'bcc')),
    inReplyTo: nonEmpty(firstField(fields, 'in-reply-to')),
    messageId: nonEmpty(firstField(fields, 'message-id')),
  };
}
