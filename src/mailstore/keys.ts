// Item keys of the storage model (reference/storage-design.md §C2). The only place key strings are spelled.
import type { EmailId, MailboxId, ModSeq, TenantId, Uid, UserId } from './ids.js';
import type { KvKey } from '../storage/kv.js';

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

export const keys = {
  tenant: (t: TenantId): KvKey => ({ pk: `T#${t}`, sk: 'META' }),
  tenantUser: (t: TenantId, u: UserId): KvKey => ({ pk: `T#${t}`, sk: `U#${u}` }),
  tenantUsersPrefix: (t: TenantId) => ({ pk: `T#${t}`, prefix: 'U#' }),
  domain: (domain: string): KvKey => ({ pk: `D#${domain}`, sk: 'DOMAIN' }),
  login: (login: string): KvKey => ({ pk: `LOGIN#${login}`, sk: 'LOGIN' }),
  user: (u: UserId): KvKey => ({ pk: `U#${u}`, sk: 'META' }),
  mailboxName: (u: UserId, path: string): KvKey => ({ pk: `U#${u}`, sk: `N#${path}` }),
  mailboxNamesPrefix: (u: UserId) => ({ pk: `U#${u}`, prefix: 'N#' }),
  subscription: (u: UserId, path: string): KvKey => ({ pk: `U#${u}`, sk: `S#${path}` }),
  subscriptionsPrefix: (u: UserId) => ({ pk: `U#${u}`, prefix: 'S#' }),
  /**
   * What LIST reads of a user's partition in one query: names (N#), subscriptions (S#) and the share index (SH#)
   * sort next to each other (N# < S# < SH#, inclusive bounds; `$` follows `#`). Keep other kinds of user item
   * outside this range (D#, META and MID# sort before it), or LIST reads them too.
   */
  listItems: (u: UserId): { pk: string; between: [string, string] } => ({ pk: `U#${u}`, between: ['N#', 'SH$'] }),
  mailbox: (m: MailboxId): KvKey => ({ pk: `M#${m}`, sk: 'META' }),
  /** Hot item per (mailbox, UID); the zero padding keeps sort-key order = UID order. */
  message: (m: MailboxId, uid: Uid): KvKey => ({ pk: `M#${m}`, sk: `U#${pad(uid, 10)}` }),
  messagesPrefix: (m: MailboxId) => ({ pk: `M#${m}`, prefix: 'U#' }),
  log: (m: MailboxId, modseq: ModSeq): KvKey => ({ pk: `M#${m}`, sk: `L#${pad(modseq, 20)}` }),
  logSortKey: (modseq: number): string => `L#${pad(modseq, 20)}`,
  logPrefix: (m: MailboxId) => ({ pk: `M#${m}`, prefix: 'L#' }),
  /** An exclusive lease on a mailbox (the POP3 maildrop lock, RFC 2449 IN-USE); outside the U# and L# ranges. */
  mailboxLease: (m: MailboxId): KvKey => ({ pk: `M#${m}`, sk: 'LEASE' }),
  /** The \Recent floor r (rev1, storage-design §C4): UIDs ≥ r are recent for the next session that claims them. */
  mailboxRecent: (m: MailboxId): KvKey => ({ pk: `M#${m}`, sk: 'RECENT' }),
  /** Where the mailbox's current index snapshot is (snapshots.ts); outside META, which only commits write. */
  mailboxSnapshot: (m: MailboxId): KvKey => ({ pk: `M#${m}`, sk: 'SNAP' }),
  /** The mailbox's search-segment directory (src/mailstore/search-segments.ts); outside the U# and L# ranges. */
  searchDirectory: (m: MailboxId): KvKey => ({ pk: `M#${m}`, sk: 'Q' }),
  /** Cold item (table msgmeta), immutable per emailId. */
  cold: (e: EmailId): KvKey => ({ pk: `E#${e}`, sk: 'E' }),
  system: (name: string): KvKey => ({ pk: 'SYS', sk: name }),
  /** A delivery address that is not a login (issue 4 writes these); delivery looks here when no login matches. */
  alias: (address: string): KvKey => ({ pk: `ALIAS#${address}`, sk: 'ALIAS' }),
  /**
   * RFC 8474 THREADID lookup per (user, Message-ID): `hash` is a digest of the msg-id (thread-ids.ts). Written in
   * the commit of the message that carries the id; read when a later message of the user refers to it.
   */
  messageThread: (u: UserId, hash: string): KvKey => ({ pk: `U#${u}`, sk: `MID#${hash}` }),
  /** Delivery idempotency marker per (recipient, message): `hash` is a digest of the delivery's message id. */
  delivered: (u: UserId, hash: string): KvKey => ({ pk: `U#${u}`, sk: `D#${hash}` }),
  // Tenancy (src/mailstore/tenants.ts): an index of tenants, each tenant's domains, aliases and admin tokens.
  tenantIndex: (t: TenantId): KvKey => ({ pk: 'TENANTS', sk: `T#${t}` }),
  tenantDomain: (t: TenantId, domain: string): KvKey => ({ pk: `T#${t}`, sk: `D#${domain}` }),
  tenantAlias: (t: TenantId, address: string): KvKey => ({ pk: `T#${t}`, sk: `A#${address}` }),
  /** A tenant-scoped admin token: only a hash of its secret is stored. */
  adminToken: (id: string): KvKey => ({ pk: `ADMTOK#${id}`, sk: 'ADMTOK' }),
  tenantAdminToken: (t: TenantId, id: string): KvKey => ({ pk: `T#${t}`, sk: `K#${id}` }),
  // ACL (src/mailstore/acl-store.ts): who may see a mailbox of another user, so LIST finds shared-with-me folders
  // without scanning users. Written with the ACL change that grants `l`, deleted with the one that revokes it.
  sharedWith: (grantee: UserId, m: MailboxId): KvKey => ({ pk: `U#${grantee}`, sk: `SH#${m}` }),
  sharedWithAnyone: (t: TenantId, m: MailboxId): KvKey => ({ pk: `T#${t}`, sk: `SH#${m}` }),
  /** A blob prefix whose owner (user or tenant) was deleted: the GC sweep empties it, then drops this item (§C8). */
  gcPrefix: (blobPrefix: string): KvKey => ({ pk: 'GC', sk: `P#${blobPrefix}` }),
  gcPrefixes: () => ({ pk: 'GC', prefix: 'P#' }),
};

/** Raw bytes live under the owner's prefix so per-user GC and tenant isolation hold (§C8). */
export const blobKeys = {
  message: (t: TenantId, u: UserId, e: EmailId): string => `t/${t}/u/${u}/m/${e}.eml`,
  userPrefix: (t: TenantId, u: UserId): string => `t/${t}/u/${u}/`,
  /** Where a user's message bodies are (the GC sweep lists this; snapshots and other kinds live beside it). */
  messagesPrefix: (t: TenantId, u: UserId): string => `t/${t}/u/${u}/m/`,
  tenantPrefix: (t: TenantId): string => `t/${t}/`,
  /** An immutable index snapshot of a mailbox at `modseq` (§C2 S3 layout); `rand` makes the name unique. */
  snapshot: (t: TenantId, u: UserId, m: MailboxId, modseq: number, rand: string): string =>
    `t/${t}/u/${u}/x/${m}/${pad(modseq, 20)}-${rand}.snap`,
  snapshotsPrefix: (t: TenantId, u: UserId): string => `t/${t}/u/${u}/x/`,
  /** Immutable search segments of a mailbox (src/mailstore/search-segments.ts), uniquely named. */
  searchSegment: (t: TenantId, u: UserId, m: MailboxId, segmentId: string): string => `t/${t}/u/${u}/q/${m}/${segmentId}.seg`,
  /** Where a user's search segments are (the GC sweep lists this). */
  searchSegmentsPrefix: (t: TenantId, u: UserId): string => `t/${t}/u/${u}/q/`,
  /** Inbound bytes an LMTP frontend staged for `deliver.message`; owned by no tenant, deleted after delivery. */
  staging: (id: string): string => `in/${id}.eml`,
};

export function uidFromSortKey(sk: string): Uid {
  return Number(sk.slice(2)) as Uid;
}
