// QUOTA (RFC 9208; storage-design §A7 R34, §C4). One quota root per user, named "" (the user's whole mailbox
// tree). Limits live on U#<u>/META as quotaBytes, quotaMessages, quotaMailboxes (absent = unlimited); usage as
// usageBytes, usageMessages, mailboxes, moved in the same transaction as every change (commit.ts), conditioned on
// these limits — so quota is hard, whichever protocol asks. STORAGE is reported in units of 1024 octets.
import type { KvItem } from '../storage/kv.js';
import type { UsageDelta } from './commit.js';
import type { Caller, StoreContext } from './context.js';
import { normalizeLogin } from './directory.js';
import { MailStoreError } from './errors.js';
import type { TenantId, UserId } from './ids.js';
import { keys } from './keys.js';
import { resolvePath } from './mailboxes.js';
import { setUserQuota } from './tenants.js';

/** The single quota root of a user (RFC 9208 §3.2 leaves root names to the server). */
export const USER_ROOT = '';

export interface QuotaResource {
  name: 'STORAGE' | 'MESSAGE' | 'MAILBOX';
  usage: number;
  limit: number;
}

/** The limits a growing usage update is conditioned on (UsageDelta.limits), read strongly from the owner's META. */
export async function usageLimits(ctx: StoreContext, owner: UserId): Promise<UsageDelta['limits']> {
  return limitsOf(await ctx.kv.get('mail', keys.user(owner), { consistent: true }));
}

/** The limits of a user item read strongly (usageLimits, or batched with other reads: messages.ts APPEND). */
export function limitsOf(user: KvItem | undefined): UsageDelta['limits'] {
  if (!user) return undefined;
  const bytes = user.quotaBytes as number | undefined;
  const messages = user.quotaMessages as number | undefined;
  if (bytes === undefined && messages === undefined) return undefined;
  return { ...(bytes !== undefined ? { bytes } : {}), ...(messages !== undefined ? { messages } : {}) };
}

/** The resources with a limit, in RFC 9208 units (resources without a limit are not reported, §4.1.1). */
export function resourcesOf(user: KvItem): QuotaResource[] {
  const out: QuotaResource[] = [];
  if (typeof user.quotaBytes === 'number') {
    out.push({ name: 'STORAGE', usage: Math.ceil(((user.usageBytes as number) ?? 0) / 1024), limit: Math.floor(user.quotaBytes / 1024) });
  }
  if (typeof user.quotaMessages === 'number') {
    out.push({ name: 'MESSAGE', usage: (user.usageMessages as number) ?? 0, limit: user.quotaMessages });
  }
  if (typeof user.quotaMailboxes === 'number') {
    out.push({ name: 'MAILBOX', usage: (user.mailboxes as number) ?? 0, limit: user.quotaMailboxes });
  }
  return out;
}

async function userMeta(ctx: StoreContext, userId: UserId): Promise<KvItem> {
  const user = await ctx.kv.get('mail', keys.user(userId), { consistent: true });
  if (!user) throw new MailStoreError('UNAUTHORIZED', 'User does not exist');
  return user;
}

/**
 * The user a quota root names: "" is the caller's own; a tenant admin may also name another user of the same tenant
 * by login. Anything else (another tenant's user included) does not exist.
 */
async function rootUser(ctx: StoreContext, caller: Caller, root: string): Promise<{ userId: UserId; self: KvItem }> {
  const self = await userMeta(ctx, caller.userId);
  if (root === USER_ROOT) return { userId: caller.userId, self };
  if (self.tenantAdmin === true) {
    let login: string | undefined;
    try {
      login = normalizeLogin(root);
    } catch {
      login = undefined;
    }
    const item = login ? await ctx.kv.get('mail', keys.login(login), { consistent: true }) : undefined;
    if (item && item.tenantId === caller.tenantId) return { userId: item.userId as UserId, self };
  }
  throw new MailStoreError('NONEXISTENT', 'No such quota root');
}

/** GETQUOTA (RFC 9208 §4.1.1). */
export async function getQuota(ctx: StoreContext, caller: Caller, root: string): Promise<{ root: string; resources: QuotaResource[] }> {
  const { userId } = await rootUser(ctx, caller, root);
  return { root, resources: resourcesOf(await userMeta(ctx, userId)) };
}

/** GETQUOTAROOT (RFC 9208 §4.1.2): every mailbox of a user is under the user's one root. */
export async function getQuotaRoot(
  ctx: StoreContext,
  caller: Caller,
  path: string,
): Promise<{ path: string; roots: { root: string; resources: QuotaResource[] }[] }> {
  const mailbox = await resolvePath(ctx, caller, path);
  return { path: mailbox.path, roots: [{ root: USER_ROOT, resources: resourcesOf(await userMeta(ctx, caller.userId)) }] };
}

/**
 * SETQUOTA (RFC 9208 §4.1.3): tenant admins only (NOPERM otherwise). The list replaces the root's limits: a resource
 * left out becomes unlimited. STORAGE is given in KiB.
 */
export async function setQuota(
  ctx: StoreContext,
  caller: Caller,
  root: string,
  limits: { storageKiB?: number; messages?: number; mailboxes?: number },
): Promise<{ root: string; resources: QuotaResource[] }> {
  const self = await userMeta(ctx, caller.userId);
  if (self.tenantAdmin !== true) throw new MailStoreError('NOPERM', 'Only tenant administrators may set quotas');
  const { userId } = await rootUser(ctx, caller, root);
  await setUserQuota(ctx, caller.tenantId as TenantId, userId, {
    bytes: limits.storageKiB === undefined ? null : limits.storageKiB * 1024,
    messages: limits.messages ?? null,
    mailboxes: limits.mailboxes ?? null,
  });
  return { root, resources: resourcesOf(await userMeta(ctx, userId)) };
}
