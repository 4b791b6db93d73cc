// LMTP replies (RFC 2033 §4.2: one reply per accepted recipient after DATA) with RFC 3463 enhanced status codes.
// Pure: the mapping from the store's per-recipient delivery outcome to a reply lives here and nowhere else.
import type { ResponseOf } from '../mailstore/api.js';

export type DeliveryOutcome = ResponseOf<'deliver.message'>['outcomes'][number];

export interface Reply {
  code: number;
  /** Text after the enhanced status code; the listener's library prefixes the code that belongs to `code`. */
  text: string;
  /** The enhanced status code the library derives from `code` (RFC 3463), for readers and tests. */
  enhanced: string;
}

/**
 * - delivered: 250 2.0.0.
 * - unknown user (an alias removed between RCPT and DATA): 550 5.1.1, as at RCPT time.
 * - over quota: 452 4.2.2. RFC 3463 §3.3 says X.2.2 (mailbox full) "should be used as a persistent transient
 *   failure": the user can delete mail, so the MTA keeps the message queued and retries instead of bouncing it
 *   (552 5.2.2 would bounce it at once; Dovecot's quota_full_tempfail makes the same choice).
 * - anything else the store could not do now: 451 4.3.0, the MTA retries (delivery is idempotent).
 */
export function replyFor(outcome: DeliveryOutcome): Reply {
  switch (outcome.status) {
    case 'delivered':
      return {
        code: 250,
        enhanced: '2.0.0',
        text: `<${outcome.recipient}> delivered to INBOX, UID ${outcome.uid}${outcome.duplicate ? ' (already delivered)' : ''}`,
      };
    case 'unknown-user':
      return { code: 550, enhanced: '5.1.1', text: `<${outcome.recipient}> no such user here` };
    case 'over-quota':
      return { code: 452, enhanced: '4.2.2', text: `<${outcome.recipient}> mailbox is full` };
    case 'temporary-failure':
      return { code: 451, enhanced: '4.3.0', text: `<${outcome.recipient}> temporary failure, try again later` };
  }
}

export const UNKNOWN_USER: Reply = { code: 550, enhanced: '5.1.1', text: 'no such user here' };
export const LOOKUP_FAILED: Reply = { code: 451, enhanced: '4.3.0', text: 'temporary failure looking up the recipient, try again later' };
export const STORE_FAILED: Reply = { code: 451, enhanced: '4.3.0', text: 'temporary failure storing the message, try again later' };
