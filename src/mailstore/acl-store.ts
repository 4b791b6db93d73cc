// ACL commands of RFC 4314 §3 over the store: SETACL, DELETEACL, GETACL, LISTRIGHTS, MYRIGHTS. The ACL and its
// `aclVersion` live in the mailbox's META. A change is ONE conditional write of META (conditioned on the version it
// read) together with the share index items of the identifiers it touches, so LIST finds shared-with-me folders by
// key (keys.sharedWith / sharedWithAnyone) and a writer in another session that checked the old ACL loses its
// commit (commit.ts conditions every commit on aclVersion). META.modseq is left alone: an ACL is not mailbox data.
import { ConditionFailedError } from '../storage/errors.js';
import type { KvItem, TxAction } from '../storage/kv.js';
import {
  ALL_RIGHTS,
  ANY_RIGHT,
  ANYONE,
  aclVersionCondition,
  applyRightsChange,
  parseRightsChange,
  requireRights,
  rightsOf,
  withVirtualRights,
  type Acl,
} from './acl.js';
import { namespacePath, sharedOwnerOf } from './acl-paths.js';
import { metaFromItem, type MailboxMeta } from './commit.js';
import type { Caller, StoreContext } from './context.js';
import { MailStoreError } from './errors.js';
import type { MailboxId, TenantId, UserId } from './ids.js';
import { keys } from './keys.js';
import { loginInTenant } from './tenants.js';
import { publishAccessHint, publishTenantHint, publishUserHint } from './user-hint.js';

const MAX_ATTEMPTS = 10;

/** A mailbox as the caller names it, with its META (read strongly). */
export interface AclTarget {
  path: string;
  mailboxId: MailboxId;
  meta: MailboxMeta;
}

/** Resolves a caller's mailbox name (any namespace) to its META; NONEXISTENT when it is not there. */
/**
 * Whether a grantee with these rights is in the share index: with `l` the mailbox is listed (RFC 4314 §4 LIST),
 * with `r` alone it is not listed but may still be opened by name and its messages read (acl-list.ts).
 */
function indexedBy(rights: string): boolean {
  return rights.includes('l') || rights.includes('r');
}

export async function aclTarget(ctx: StoreContext, caller: Caller, rawPath: string): Promise<AclTarget> {
  const ns = await namespacePath(ctx, caller, rawPath);
  const name = await ctx.kv.get('mail', keys.mailboxName(ns.owner, ns.ownerPath), { consistent: true });
  if (!name) throw new MailStoreError('NONEXISTENT', `Mailbox doesn't exist: ${ns.prefix}${ns.ownerPath}`);
  const item = await ctx.kv.get('mail', keys.mailbox(name.mailboxId as MailboxId), { consistent: true });
  if (!item || item.state !== 'active') throw new MailStoreError('NONEXISTENT', 'Mailbox does not exist');
  const meta = metaFromItem(item);
  if (meta.tenant !== caller.tenantId) throw new MailStoreError('NONEXISTENT', 'Mailbox does not exist');
  return { path: ns.prefix + ns.ownerPath, mailboxId: meta.mailboxId, meta };
}

/** An ACL identifier resolved in the caller's tenant: `anyone`, or a login of the same tenant (never another's). */
interface Identifier {
  /** As stored: the normalised login or `anyone`, with the `-` of a negative entry. */
  key: string;
  negative: boolean;
  /** The user of a login identifier; undefined for `anyone`. */
  userId?: UserId;
}

async function identifierOf(ctx: StoreContext, tenantId: TenantId, raw: string): Promise<Identifier> {
  const negative = raw.startsWith('-');
  const name = negative ? raw.slice(1) : raw;
  if (name.toLowerCase() === ANYONE) return { key: (negative ? '-' : '') + ANYONE, negative };
  let item: KvItem;
  try {
    item = await loginInTenant(ctx, tenantId, name);
  } catch (err) {
    // Unknown here, or a user of another tenant: identifiers never resolve across tenants (issue 4).
    if (err instanceof MailStoreError) throw new MailStoreError('CANNOT', `No such identifier: ${name}`);
    throw err;
  }
  const login = item.pk.slice('LOGIN#'.length);
  return { key: (negative ? '-' : '') + login, negative, userId: item.userId as UserId };
}

/** The owner's login, listed in GETACL with every right; Shared/ mailboxes have no owner login. */
async function ownerLogin(ctx: StoreContext, meta: MailboxMeta): Promise<string | undefined> {
  if (meta.owner === sharedOwnerOf(meta.tenant)) return undefined;
  const user = await ctx.kv.get('mail', keys.user(meta.owner), { consistent: true });
  return typeof user?.login === 'string' ? user.login : undefined;
}

/** The share-index items that make `identifier` find (or stop finding) this mailbox in LIST. */
function indexAction(meta: MailboxMeta, id: Identifier, visible: boolean, ownerName: string | undefined): TxAction[] {
  if (id.negative || meta.owner === sharedOwnerOf(meta.tenant) || id.userId === meta.owner) return [];
  const key = id.userId ? keys.sharedWith(id.userId, meta.mailboxId) : keys.sharedWithAnyone(meta.tenant, meta.mailboxId);
  if (!visible) return [{ type: 'delete', table: 'mail', key }];
  return [{ type: 'put', table: 'mail', item: { ...key, owner: meta.owner, ownerLogin: ownerName ?? '' } }];
}

/** Writes a new ACL for one identifier, conditioned on the ACL version read; re-reads on a lost race. */
async function changeAcl(
  ctx: StoreContext,
  caller: Caller,
  rawPath: string,
  rawIdentifier: string,
  next: (before: string) => string | undefined,
): Promise<void> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const target = await aclTarget(ctx, caller, rawPath);
    const { meta } = target;
    requireRights(meta, caller, 'a');
    const id = await identifierOf(ctx, caller.tenantId, rawIdentifier);
    const ownerName = await ownerLogin(ctx, meta);
    // The owner always holds every right (RFC 4314 §2 "MAY force rights to always be granted"): LISTRIGHTS says so.
    if (id.userId === meta.owner) throw new MailStoreError('CANNOT', "The owner's rights cannot be changed");
    const acl: Acl = { ...meta.acl };
    const rights = next(acl[id.key] ?? '');
    if (rights === undefined || rights === '') delete acl[id.key];
    else acl[id.key] = rights;
    const actions: TxAction[] = [
      {
        type: 'update',
        table: 'mail',
        key: keys.mailbox(meta.mailboxId),
        update: { set: { acl }, add: { aclVersion: 1 } },
        condition: { op: 'and', conditions: [{ op: 'eq', attr: 'state', value: 'active' }, aclVersionCondition(meta.aclVersion)] },
      },
      ...indexAction(meta, id, indexedBy(acl[id.key] ?? ''), ownerName),
    ];
    try {
      await ctx.kv.transactWrite(actions);
      // RFC 5465 §5.4: granting or taking away `l` is a mailbox created or deleted for the grantee (user-hint.ts);
      // for `anyone`, for every user of the tenant: one tenant-level hint. §5.9: watchers re-check their access.
      if (id.userId) publishUserHint(ctx, id.userId);
      else publishTenantHint(ctx, meta.tenant);
      publishAccessHint(ctx, meta.mailboxId, meta.modseq);
      return;
    } catch (err) {
      if (!(err instanceof ConditionFailedError)) throw err;
      // Another ACL change won: read again and re-apply ours on top of it.
    }
  }
  throw new MailStoreError('UNAVAILABLE', 'The ACL is being changed concurrently; try again');
}

/** SETACL (§3.1): replace, add (+) or remove (-) the rights of one identifier. Needs `a`. */
export async function setAcl(ctx: StoreContext, caller: Caller, path: string, identifier: string, rights: string): Promise<void> {
  const change = parseRightsChange(rights);
  await changeAcl(ctx, caller, path, identifier, (before) => applyRightsChange(before, change));
}

/** DELETEACL (§3.2): removes the identifier's entry (its negative entry, if any, stays). Needs `a`. */
export async function deleteAcl(ctx: StoreContext, caller: Caller, path: string, identifier: string): Promise<void> {
  await changeAcl(ctx, caller, path, identifier, () => undefined);
}

/** GETACL (§3.3): the owner with every right first, then the stored entries. Needs `a`. */
export async function getAcl(
  ctx: StoreContext,
  caller: Caller,
  path: string,
): Promise<{ path: string; entries: { identifier: string; rights: string }[] }> {
  const { meta, path: named } = await aclTarget(ctx, caller, path);
  requireRights(meta, caller, 'a');
  const owner = await ownerLogin(ctx, meta);
  const entries = owner ? [{ identifier: owner, rights: withVirtualRights(ALL_RIGHTS) }] : [];
  for (const [identifier, rights] of Object.entries(meta.acl).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    entries.push({ identifier, rights: withVirtualRights(rights) });
  }
  return { path: named, entries };
}

/**
 * LISTRIGHTS (§3.4): the owner is always granted everything (nothing optional); anyone else may be granted each
 * right on its own, and the virtual c and d (§2.1.1). The identifier is echoed as the client gave it. Needs `a`.
 */
export async function listRights(
  ctx: StoreContext,
  caller: Caller,
  path: string,
  identifier: string,
): Promise<{ path: string; identifier: string; required: string; optional: string[] }> {
  const { meta, path: named } = await aclTarget(ctx, caller, path);
  requireRights(meta, caller, 'a');
  const id = await identifierOf(ctx, caller.tenantId, identifier);
  if (id.userId === meta.owner) return { path: named, identifier, required: withVirtualRights(ALL_RIGHTS), optional: [] };
  return { path: named, identifier, required: '', optional: [...ALL_RIGHTS, 'c', 'd'] };
}

/** MYRIGHTS (§3.5): needs any of l r i k x a (§4); without them the mailbox does not exist for the caller. */
export async function myRights(ctx: StoreContext, caller: Caller, path: string): Promise<{ path: string; rights: string }> {
  const { meta, path: named } = await aclTarget(ctx, caller, path);
  const rights = rightsOf(meta, caller);
  if (!ANY_RIGHT.test(rights)) throw new MailStoreError('NONEXISTENT', 'Mailbox does not exist');
  return { path: named, rights: withVirtualRights(rights) };
}

/** The ACL of a new mailbox (RFC 4314 §4 CREATE: "SHOULD inherit the ACL from the parent") and its index items. */
export async function inheritedAcl(
  ctx: StoreContext,
  parent: MailboxMeta,
  mailboxId: MailboxId,
): Promise<{ acl: Acl; actions: TxAction[] }> {
  const acl = { ...parent.acl };
  const ownerName = await ownerLogin(ctx, parent);
  const actions: TxAction[] = [];
  const child = { ...parent, mailboxId };
  for (const [key, rights] of Object.entries(acl)) {
    if (!indexedBy(rights) || key.startsWith('-')) continue;
    const id = key === ANYONE ? { key, negative: false } : await identifierOf(ctx, parent.tenant, key).catch(() => undefined);
    if (id) actions.push(...indexAction(child, id, true, ownerName));
  }
  return { acl, actions };
}

/** After DELETE (§4: "MUST delete the ACL associated with the deleted mailbox"): drops the share index items. */
export async function dropShareIndex(ctx: StoreContext, meta: { tenant: TenantId; mailboxId: MailboxId; acl: Acl }): Promise<void> {
  const actions: TxAction[] = [];
  for (const [key, rights] of Object.entries(meta.acl)) {
    if (!indexedBy(rights) || key.startsWith('-')) continue;
    if (key === ANYONE) {
      actions.push({ type: 'delete', table: 'mail', key: keys.sharedWithAnyone(meta.tenant, meta.mailboxId) });
      continue;
    }
    const login = await ctx.kv.get('mail', keys.login(key), { consistent: true });
    if (login?.tenantId === meta.tenant) {
      actions.push({ type: 'delete', table: 'mail', key: keys.sharedWith(login.userId as UserId, meta.mailboxId) });
    }
  }
  for (let i = 0; i < actions.length; i += 100) await ctx.kv.transactWrite(actions.slice(i, i + 100));
}

