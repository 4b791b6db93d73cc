// Identifiers of the mail store. Branded so a UID is never passed where a MODSEQ is meant.
import { randomBytes } from 'node:crypto';

export type TenantId = string & { readonly __brand: 'TenantId' };
export type UserId = string & { readonly __brand: 'UserId' };
export type MailboxId = string & { readonly __brand: 'MailboxId' };
/** Identifies one stored message (its cold item and its blob); shared by COPYs within one owner. */
export type EmailId = string & { readonly __brand: 'EmailId' };
/** RFC 3501 §2.3.1.1: a non-zero 32-bit value, strictly ascending per mailbox. */
export type Uid = number & { readonly __brand: 'Uid' };
/** RFC 7162: per-mailbox, dense in this design (one per committed transaction). */
export type ModSeq = number & { readonly __brand: 'ModSeq' };

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A ULID (48-bit time + 80 random bits): sortable by creation time, unique without coordination. */
export function newId(now = Date.now()): string {
  let out = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    out = CROCKFORD[t % 32]! + out;
    t = Math.floor(t / 32);
  }
  const rnd = randomBytes(16);
  for (let i = 0; i < 16; i++) out += CROCKFORD[rnd[i]! % 32]!;
  return out;
}

export const newTenantId = (): TenantId => newId() as TenantId;
export const newUserId = (): UserId => newId() as UserId;
export const newMailboxId = (): MailboxId => newId() as MailboxId;
export const newEmailId = (): EmailId => newId() as EmailId;
