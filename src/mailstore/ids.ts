// Identifiers of the mail store. Branded so a UID is never passed where a MODSEQ is meant.
import { Buffer } from 'node:buffer';
import { randomFillSync } from 'node:crypto';

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

/** Random bytes drawn for 256 ids at once: one randomFillSync per 256 ids instead of a randomBytes call each. */
const pool = Buffer.alloc(16 * 256);
let poolUsed = pool.length;

function randomPool(): Buffer {
  if (poolUsed + 16 > pool.length) {
    randomFillSync(pool);
    poolUsed = 0;
  }
  return pool;
}

/** A ULID (48-bit time + 80 random bits): sortable by creation time, unique without coordination. */
export function newId(now = Date.now()): string {
  let out = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    out = CROCKFORD[t % 32]! + out;
    t = Math.floor(t / 32);
  }
  const rnd = randomPool();
  for (let i = 0; i < 16; i++) out += CROCKFORD[rnd[poolUsed + i]! % 32]!;
  poolUsed += 16;
  return out;
}

export const newTenantId = (): TenantId => newId() as TenantId;
export const newUserId = (): UserId => newId() as UserId;
export const newMailboxId = (): MailboxId => newId() as MailboxId;
export const newEmailId = (): EmailId => newId() as EmailId;
