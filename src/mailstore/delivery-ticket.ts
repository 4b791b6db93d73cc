// The staging ticket of a delivery (delivery-ops.ts): `deliver.prepare` lets a delivery agent write a message
// straight to its first recipient's final blob key `t/<tenant>/u/<user>/m/<emailId>.eml` — trace headers included —
// instead of a staging object that the function would read, copy per recipient and delete (one S3 PUT and a HEAD
// fewer per delivery). The ticket says which key was handed out for which recipient, signed with the key of session
// tokens under a label of its own, so `deliver.message` trusts that key and recipient without reading the login
// again, and an agent can make delivery read no other blob.
//
// Nothing is visible before the commit: the blob is referenced by no hot item until the delivery's transaction puts
// one. A blob whose delivery never commits (a crashed agent, a duplicate, a full mailbox) lies under the owner's
// `m/` prefix like a crashed APPEND's, and the per-user GC (gc.ts) deletes it after its grace period; the ticket's
// life (far below the GC's default 24 h grace) bounds how late a commit can still reference it.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { MailStoreError } from './errors.js';

export interface StageTicket {
  /** The blob key handed out: the recipient's message key for `emailId`. */
  key: string;
  emailId: string;
  tenantId: string;
  userId: string;
  /** The login or alias the recipient address resolved to (delivery.ts Recipient.login). */
  login: string;
  /** The recipient address as the agent gave it (it appears in Delivered-To and Received). */
  recipient: string;
  /** Length of the trace headers the agent writes in front of the message. */
  headBytes: number;
  /** Unix seconds; the ticket is refused from this second on. */
  expiresAt: number;
}

/** A delivery's DATA is answered within seconds; an hour covers any slow agent and stays far below the GC grace. */
export const STAGE_TICKET_SECONDS = 3600;
/** Never a session token's "v1.": a ticket cannot pass for a token, nor a token for a ticket. */
const PREFIX = 'stage1.';
const LABEL = 'stratus delivery stage ticket\0';
const MAX_TICKET_LENGTH = 2048;

function mac(key: Uint8Array, payload: string): Buffer {
  return createHmac('sha256', key).update(LABEL).update(payload).digest();
}

export function issueStageTicket(key: Uint8Array, ticket: StageTicket): string {
  const { key: k, emailId, tenantId, userId, login, recipient, headBytes, expiresAt } = ticket;
  const payload = Buffer.from(JSON.stringify({ k, emailId, tenantId, userId, login, recipient, headBytes, expiresAt }), 'utf8').toString('base64url');
  return `${PREFIX}${payload}.${mac(key, payload).toString('base64url')}`;
}

/** The ticket's claims when it is ours, intact and not expired; BADREQUEST otherwise. */
export function verifyStageTicket(key: Uint8Array, ticket: string, nowSeconds = Math.floor(Date.now() / 1000)): StageTicket {
  const bad = (why: string): MailStoreError => new MailStoreError('BADREQUEST', `Not a valid staging ticket (${why})`);
  if (ticket.length > MAX_TICKET_LENGTH || !ticket.startsWith(PREFIX)) throw bad('malformed');
  const [payload, signature, extra] = ticket.slice(PREFIX.length).split('.');
  if (!payload || !signature || extra !== undefined) throw bad('malformed');
  const expected = mac(key, payload);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw bad('bad signature');
  const c = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  const text = (name: string): string => {
    const v = c[name];
    if (typeof v !== 'string' || v.length === 0) throw bad('malformed');
    return v;
  };
  const int = (name: string): number => {
    const v = c[name];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw bad('malformed');
    return v;
  };
  const claims: StageTicket = {
    key: text('k'),
    emailId: text('emailId'),
    tenantId: text('tenantId'),
    userId: text('userId'),
    login: text('login'),
    recipient: text('recipient'),
    headBytes: int('headBytes'),
    expiresAt: int('expiresAt'),
  };
  if (nowSeconds >= claims.expiresAt) throw bad('expired');
  return claims;
}
