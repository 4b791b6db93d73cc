// Access control lists (RFC 4314): the rights, their text forms and the evaluation of a caller's rights on a mailbox.
// Pure functions only; storage of ACLs lives in acl-store.ts, namespace paths in acl-paths.ts.
import type { Condition, KvValue } from '../storage/kv.js';
import type { Caller } from './context.js';
import { MailStoreError } from './errors.js';
import { FLAG_DELETED, FLAG_SEEN } from './flags.js';

/** RFC 4314 §2.1, in the order responses list them. */
export const ALL_RIGHTS = 'lrswipkxtea';
/** RFC 4314 §5.1.1: the rights beyond RFC 2086, announced as RIGHTS=texk. */
export const EXTRA_RIGHTS = 'texk';
/** The identifier meaning "anyone": here, anyone authenticated in the mailbox's tenant (never across tenants). */
export const ANYONE = 'anyone';

/** An ACL as stored in META: identifier (a login, `anyone`, or either with a leading `-`) → rights. */
export type Acl = Record<string, string>;

/** Keeps only known rights, without duplicates, in ALL_RIGHTS order. */
export function canonical(rights: string): string {
  let out = '';
  for (const r of ALL_RIGHTS) if (rights.includes(r)) out += r;
  return out;
}

/**
 * Parses the rights of SETACL (§3.1): an optional `+`/`-`, then rights. The obsolete `c` and `d` (§2.1.1) expand to
 * `kx` and `te`. Uppercase or unknown rights are a BAD (§3.1 "MUST NOT silently ignore unrecognized rights").
 */
export function parseRightsChange(text: string): { mode: 'add' | 'remove' | 'replace'; rights: string } {
  const mode = text.startsWith('+') ? 'add' : text.startsWith('-') ? 'remove' : 'replace';
  const body = mode === 'replace' ? text : text.slice(1);
  let rights = '';
  for (const ch of body) {
    if (ch === 'c') rights += 'kx';
    else if (ch === 'd') rights += 'te';
    else if (ALL_RIGHTS.includes(ch)) rights += ch;
    else throw new MailStoreError('BADREQUEST', `Unsupported right "${ch}"`);
  }
  return { mode, rights: canonical(rights) };
}

/** Applies a parsed SETACL change to the rights an identifier had. */
export function applyRightsChange(before: string, change: { mode: 'add' | 'remove' | 'replace'; rights: string }): string {
  if (change.mode === 'replace') return change.rights;
  if (change.mode === 'add') return canonical(before + change.rights);
  return [...before].filter((r) => !change.rights.includes(r)).join('');
}

/** Rights as MYRIGHTS and ACL responses show them: with the virtual `c` and `d` when a member is present (§2.1.1). */
export function withVirtualRights(rights: string): string {
  let out = rights;
  if (/[kx]/.test(rights)) out += 'c';
  if (/[te]/.test(rights)) out += 'd';
  return out;
}

/** The ACL-relevant part of a mailbox's META. */
export interface AclHolder {
  owner: string;
  tenant: string;
  acl: Acl;
}

/** Reads the ACL of a META item (absent on mailboxes created before ACLs: then only the owner has rights). */
export function aclOf(item: { [name: string]: KvValue | undefined }): Acl {
  const raw = item.acl;
  if (!raw || typeof raw !== 'object' || Array.isArray(raw) || raw instanceof Uint8Array) return {};
  const out: Acl = {};
  for (const [k, v] of Object.entries(raw)) if (typeof v === 'string') out[k] = v;
  return out;
}

/**
 * The caller's rights on a mailbox. The owner has every right (RFC 4314 §2: an implementation MAY force rights to
 * always be granted; the owner never loses `a`). Others get the union of their login's and `anyone`'s rights minus
 * the union of the negative entries (§2 "negative rights"). Another tenant's caller gets nothing.
 */
export function rightsOf(meta: AclHolder, caller: Pick<Caller, 'tenantId' | 'userId' | 'login'>): string {
  if (meta.tenant !== caller.tenantId) return '';
  if (meta.owner === caller.userId) return ALL_RIGHTS;
  const granted = (meta.acl[caller.login] ?? '') + (meta.acl[ANYONE] ?? '');
  const denied = (meta.acl['-' + caller.login] ?? '') + (meta.acl['-' + ANYONE] ?? '');
  return [...canonical(granted)].filter((r) => !denied.includes(r)).join('');
}

/**
 * Throws unless the caller holds every right in `needed`. Without `l` and `r` the mailbox does not exist for the
 * caller (RFC 4314 §6: do not reveal a mailbox's existence to those who may not see it); otherwise NOPERM.
 */
export function requireRights(meta: AclHolder, caller: Pick<Caller, 'tenantId' | 'userId' | 'login'>, needed: string): string {
  const rights = rightsOf(meta, caller);
  if ([...needed].every((r) => rights.includes(r))) return rights;
  if (!rights.includes('l') && !rights.includes('r')) throw new MailStoreError('NONEXISTENT', 'Mailbox does not exist');
  throw new MailStoreError('NOPERM', `Permission denied: the "${needed}" right is needed`);
}

/** MYRIGHTS (§4): any of l r i k x a. */
export const ANY_RIGHT = /[lrikxa]/;

/** SELECT answers READ-ONLY unless one of i, e or the shared flag rights s w t is granted (RFC 4314 §5.2). */
export function isReadOnly(rights: string): boolean {
  return !/[iewst]/.test(rights);
}

/** The META condition every guarded commit carries: the ACL it checked is still the ACL (META.aclVersion). */
export function aclVersionCondition(aclVersion: number | undefined): Condition {
  return aclVersion === undefined ? { op: 'notExists', attr: 'aclVersion' } : { op: 'eq', attr: 'aclVersion', value: aclVersion };
}

/**
 * Masks a flag change by the rights (RFC 4314 §4 STORE, APPEND, COPY): \Seen needs s, \Deleted needs t, every other
 * flag and keyword needs w. What may not change keeps its old value; the operation itself does not fail.
 */
export function maskFlags(
  rights: string,
  before: { bits: number; keywords: string[] },
  after: { bits: number; keywords: string[] },
): { bits: number; keywords: string[] } {
  let mask = 0;
  if (rights.includes('s')) mask |= FLAG_SEEN;
  if (rights.includes('t')) mask |= FLAG_DELETED;
  const others = rights.includes('w');
  if (others) mask |= ~(FLAG_SEEN | FLAG_DELETED);
  return {
    bits: (after.bits & mask) | (before.bits & ~mask),
    keywords: others ? after.keywords : before.keywords,
  };
}
