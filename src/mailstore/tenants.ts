// The tenancy model (storage-design §C2): tenant → domains → users (login = email address), aliases resolving to a
// user, app passwords per user, tenant-scoped admin tokens, tenant limits and user quotas. These functions take an
// already-authorised tenant id (tenants-functions.ts decides who may call them); every lookup of a user, alias or
// token checks that it belongs to that tenant, so one tenant can never reach another's users — a foreign name is
// simply "does not exist".
import { sharedOwnerOf } from './acl-paths.js';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { makeScramSecret } from '../auth/scram.js';
import { ConditionFailedError } from '../storage/errors.js';
import type { Condition, KvItem, TxAction } from '../storage/kv.js';
import { commitMailbox } from './commit.js';
import type { StoreContext } from './context.js';
import {
  allocationCondition,
  APP_PASSWORD_PREFIX,
  insertUser,
  normalizeLogin,
  rememberDomain,
  type UserQuota,
} from './directory.js';
import { MailStoreError } from './errors.js';
import { newId, newTenantId, type MailboxId, type TenantId, type UserId } from './ids.js';
import { blobKeys, keys } from './keys.js';
import { queryAll } from './query-all.js';

export interface TenantLimits {
  users: number | null;
  storageBytes: number | null;
  messages: number | null;
}

export interface TenantInfo {
  tenantId: string;
  name: string;
  status: string;
  limits: TenantLimits;
  userCount: number;
  /** The sum of the users' storage and message quotas (what the tenant limits bound). */
  allocated: { storageBytes: number; messages: number };
  createdAt: number;
}

export interface UserInfo {
  login: string;
  userId: string;
  tenantId: string;
  status: 'active' | 'disabled';
  tenantAdmin: boolean;
  quota: { storageKiB: number | null; messages: number | null; mailboxes: number | null };
  usage: { bytes: number; storageKiB: number; messages: number; mailboxes: number };
  createdAt: number;
}

export interface Page<T> {
  items: T[];
  cursor?: string;
}

const MAX_APP_PASSWORDS = 20;
const TOKEN_PREFIX = 'stt';

const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);

export function normalizeDomain(raw: string): string {
  const d = raw.trim().toLowerCase();
  if (!/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/.test(d)) {
    throw new MailStoreError('BADREQUEST', `Not a domain name: ${raw}`);
  }
  return d;
}

function tenantInfo(item: KvItem): TenantInfo {
  return {
    tenantId: item.pk.slice(2),
    name: item.name as string,
    status: (item.status as string | undefined) ?? 'active',
    limits: { users: num(item.limitUsers), storageBytes: num(item.limitBytes), messages: num(item.limitMessages) },
    userCount: num(item.userCount) ?? 0,
    allocated: { storageBytes: num(item.allocatedBytes) ?? 0, messages: num(item.allocatedMessages) ?? 0 },
    createdAt: num(item.createdAt) ?? 0,
  };
}

export function userInfo(user: KvItem, status: string): UserInfo {
  const bytes = num(user.usageBytes) ?? 0;
  const quotaBytes = num(user.quotaBytes);
  return {
    login: user.login as string,
    userId: user.pk.slice(2),
    tenantId: user.tenantId as string,
    status: status === 'disabled' ? 'disabled' : 'active',
    tenantAdmin: user.tenantAdmin === true,
    quota: {
      storageKiB: quotaBytes === null ? null : Math.floor(quotaBytes / 1024),
      messages: num(user.quotaMessages),
      mailboxes: num(user.quotaMailboxes),
    },
    usage: { bytes, storageKiB: Math.ceil(bytes / 1024), messages: num(user.usageMessages) ?? 0, mailboxes: num(user.mailboxes) ?? 0 },
    createdAt: num(user.createdAt) ?? 0,
  };
}

async function deleteAll(ctx: StoreContext, items: { pk: string; sk: string }[]): Promise<void> {
  for (let i = 0; i < items.length; i += 100) {
    await ctx.kv.transactWrite(items.slice(i, i + 100).map((k) => ({ type: 'delete', table: 'mail', key: { pk: k.pk, sk: k.sk } })));
  }
}

// ---- tenants ----

function limitAttrs(limits: Partial<TenantLimits> | undefined): { set: { [k: string]: number }; remove: string[] } {
  const set: { [k: string]: number } = {};
  const remove: string[] = [];
  const one = (attr: string, v: number | null | undefined): void => {
    if (v === undefined) return;
    if (v === null) remove.push(attr);
    else set[attr] = v;
  };
  one('limitUsers', limits?.users);
  one('limitBytes', limits?.storageBytes);
  one('limitMessages', limits?.messages);
  return { set, remove };
}

export async function createTenant(ctx: StoreContext, name: string, limits?: Partial<TenantLimits>): Promise<TenantInfo> {
  const tenantId = newTenantId();
  const item: KvItem = {
    ...keys.tenant(tenantId),
    name,
    status: 'active',
    userCount: 0,
    allocatedBytes: 0,
    allocatedMessages: 0,
    ...limitAttrs(limits).set,
    createdAt: Date.now(),
  };
  await ctx.kv.transactWrite([
    { type: 'put', table: 'mail', item, condition: { op: 'notExists', attr: 'pk' } },
    { type: 'put', table: 'mail', item: { ...keys.tenantIndex(tenantId), name } },
  ]);
  return tenantInfo(item);
}

export async function getTenant(ctx: StoreContext, tenantId: TenantId): Promise<TenantInfo> {
  const item = await ctx.kv.get('mail', keys.tenant(tenantId), { consistent: true });
  if (!item || item.status === 'deleted') throw new MailStoreError('NONEXISTENT', 'No such tenant');
  return tenantInfo(item);
}

export async function listTenants(ctx: StoreContext, limit: number, cursor?: string): Promise<Page<TenantInfo>> {
  const page = await ctx.kv.query('mail', { pk: 'TENANTS', sk: { beginsWith: 'T#' }, limit, cursor, consistent: true });
  const items = page.items.length
    ? await ctx.kv.batchGet('mail', page.items.map((i) => keys.tenant(i.sk.slice(2) as TenantId)), { consistent: true })
    : [];
  const infos = items.filter((i) => i.status !== 'deleted').map(tenantInfo).sort((a, b) => a.tenantId.localeCompare(b.tenantId));
  return { items: infos, ...(page.cursor ? { cursor: page.cursor } : {}) };
}

export async function updateTenant(
  ctx: StoreContext,
  tenantId: TenantId,
  change: { name?: string; limits?: Partial<TenantLimits> },
): Promise<TenantInfo> {
  const { set, remove } = limitAttrs(change.limits);
  try {
    const item = await ctx.kv.update(
      'mail',
      keys.tenant(tenantId),
      { set: { ...set, ...(change.name !== undefined ? { name: change.name } : {}) }, ...(remove.length ? { remove } : {}) },
      { condition: { op: 'and', conditions: [{ op: 'exists', attr: 'pk' }, { op: 'ne', attr: 'status', value: 'deleted' }] } },
    );
    if (change.name !== undefined) await ctx.kv.put('mail', { ...keys.tenantIndex(tenantId), name: change.name });
    return tenantInfo(item);
  } catch (err) {
    if (err instanceof ConditionFailedError) throw new MailStoreError('NONEXISTENT', 'No such tenant');
    throw err;
  }
}

/** Deletes a tenant that has no users left (CANNOT otherwise): its domains, aliases and admin tokens go with it. */
export async function deleteTenant(ctx: StoreContext, tenantId: TenantId): Promise<void> {
  await getTenant(ctx, tenantId);
  const users = await ctx.kv.query('mail', { pk: `T#${tenantId}`, sk: { beginsWith: 'U#' }, limit: 1, consistent: true });
  if (users.items.length > 0) throw new MailStoreError('CANNOT', 'The tenant still has users; delete them first');
  // Shared/ mailboxes (acl-admin.ts) are deleted like users' mail: first, through the API, so nothing is lost by surprise.
  const sharedOwner = await queryAll(ctx, `U#${sharedOwnerOf(tenantId)}`, '');
  if (sharedOwner.some((i) => i.sk.startsWith('N#'))) {
    throw new MailStoreError('CANNOT', 'The tenant still has shared mailboxes; delete them first');
  }
  const owned = await queryAll(ctx, `T#${tenantId}`, '');
  const extra: { pk: string; sk: string }[] = [keys.tenantIndex(tenantId)];
  for (const item of owned) {
    if (item.sk.startsWith('D#')) extra.push(keys.domain(item.sk.slice(2)));
    if (item.sk.startsWith('A#')) extra.push(keys.alias(item.sk.slice(2)));
    if (item.sk.startsWith('K#')) extra.push(keys.adminToken(item.sk.slice(2)));
  }
  // The Shared/ pseudo-owner's own items (its user record, subscriptions) go with the tenant.
  await deleteAll(ctx, [...extra, ...owned.filter((i) => i.sk !== 'META'), ...sharedOwner]);
  // The tenant's blob prefix is left to the GC sweep (§C8), like a deleted user's.
  const blobPrefix = blobKeys.tenantPrefix(tenantId);
  await ctx.kv.transactWrite([
    { type: 'delete', table: 'mail', key: keys.tenant(tenantId) },
    { type: 'put', table: 'mail', item: { ...keys.gcPrefix(blobPrefix), tenantId, at: Date.now() } },
  ]);
}

/** Tenant-wide usage: the sum over its users (read on demand; tenant totals are not a hot counter, DESIGN.md). */
export async function tenantUsage(
  ctx: StoreContext,
  tenantId: TenantId,
): Promise<{ tenant: TenantInfo; usage: { users: number; bytes: number; messages: number; mailboxes: number } }> {
  const tenant = await getTenant(ctx, tenantId);
  const usage = { users: 0, bytes: 0, messages: 0, mailboxes: 0 };
  for (const ref of await queryAll(ctx, `T#${tenantId}`, 'U#')) {
    const user = await ctx.kv.get('mail', keys.user(ref.sk.slice(2) as UserId), { consistent: true });
    if (!user) continue;
    usage.users += 1;
    usage.bytes += num(user.usageBytes) ?? 0;
    usage.messages += num(user.usageMessages) ?? 0;
    usage.mailboxes += num(user.mailboxes) ?? 0;
  }
  return { tenant, usage };
}

// ---- domains ----

export async function addDomain(ctx: StoreContext, tenantId: TenantId, rawDomain: string): Promise<{ domain: string }> {
  const domain = normalizeDomain(rawDomain);
  try {
    await ctx.kv.transactWrite([
      {
        type: 'check',
        table: 'mail',
        key: keys.tenant(tenantId),
        condition: { op: 'and', conditions: [{ op: 'exists', attr: 'pk' }, { op: 'ne', attr: 'status', value: 'deleted' }] },
      },
      { type: 'put', table: 'mail', item: { ...keys.domain(domain), tenantId }, condition: { op: 'notExists', attr: 'pk' } },
      { type: 'put', table: 'mail', item: { ...keys.tenantDomain(tenantId, domain) } },
    ]);
  } catch (err) {
    if (err instanceof ConditionFailedError) {
      if (err.actionIndex === 0) throw new MailStoreError('NONEXISTENT', 'No such tenant');
      throw new MailStoreError('ALREADYEXISTS', `Domain ${domain} is already in use`);
    }
    throw err;
  }
  await rememberDomain(ctx, domain);
  return { domain };
}

export async function listDomains(ctx: StoreContext, tenantId: TenantId): Promise<{ domains: string[] }> {
  await getTenant(ctx, tenantId);
  return { domains: (await queryAll(ctx, `T#${tenantId}`, 'D#')).map((i) => i.sk.slice(2)).sort() };
}

/** Removes a domain that no user or alias of the tenant uses any more (CANNOT otherwise). */
export async function removeDomain(ctx: StoreContext, tenantId: TenantId, rawDomain: string): Promise<void> {
  const domain = normalizeDomain(rawDomain);
  const own = await ctx.kv.get('mail', keys.tenantDomain(tenantId, domain), { consistent: true });
  if (!own) throw new MailStoreError('NONEXISTENT', `No domain ${domain} in this tenant`);
  const inDomain = (address: unknown): boolean => typeof address === 'string' && address.endsWith(`@${domain}`);
  for (const ref of await queryAll(ctx, `T#${tenantId}`, 'U#')) {
    if (inDomain(ref.login)) throw new MailStoreError('CANNOT', `Users of ${domain} still exist`);
  }
  for (const ref of await queryAll(ctx, `T#${tenantId}`, 'A#')) {
    if (inDomain(ref.sk.slice(2))) throw new MailStoreError('CANNOT', `Aliases in ${domain} still exist`);
  }
  await ctx.kv.transactWrite([
    { type: 'delete', table: 'mail', key: keys.domain(domain), condition: { op: 'eq', attr: 'tenantId', value: tenantId } },
    { type: 'delete', table: 'mail', key: keys.tenantDomain(tenantId, domain) },
  ]);
}

// ---- users ----

/** The login item of `rawLogin` when it belongs to `tenantId`; NONEXISTENT otherwise (another tenant's user too). */
export async function loginInTenant(ctx: StoreContext, tenantId: TenantId, rawLogin: string): Promise<KvItem> {
  let login: string;
  try {
    login = normalizeLogin(rawLogin);
  } catch {
    throw new MailStoreError('NONEXISTENT', 'No such user');
  }
  const item = await ctx.kv.get('mail', keys.login(login), { consistent: true });
  if (!item || item.tenantId !== tenantId) throw new MailStoreError('NONEXISTENT', `No user ${login} in this tenant`);
  return item;
}

export interface QuotaChange {
  /** Bytes; null = unlimited, undefined = unchanged. */
  bytes?: number | null;
  messages?: number | null;
  mailboxes?: number | null;
}

export async function createUser(
  ctx: StoreContext,
  tenantId: TenantId,
  rawLogin: string,
  password: string,
  options: { quota?: UserQuota; tenantAdmin?: boolean },
): Promise<UserInfo> {
  const login = normalizeLogin(rawLogin);
  const summary = await insertUser(ctx, tenantId, login, password, options);
  return getUser(ctx, tenantId, summary.login);
}

export async function getUser(ctx: StoreContext, tenantId: TenantId, rawLogin: string): Promise<UserInfo> {
  const item = await loginInTenant(ctx, tenantId, rawLogin);
  const user = await ctx.kv.get('mail', keys.user(item.userId as UserId), { consistent: true });
  if (!user) throw new MailStoreError('NONEXISTENT', 'No such user');
  return userInfo(user, item.status as string);
}

export async function listTenantUsers(ctx: StoreContext, tenantId: TenantId, limit: number, cursor?: string): Promise<Page<UserInfo>> {
  await getTenant(ctx, tenantId);
  const page = await ctx.kv.query('mail', { pk: `T#${tenantId}`, sk: { beginsWith: 'U#' }, limit, cursor, consistent: true });
  const users = page.items.length
    ? await ctx.kv.batchGet('mail', page.items.map((i) => keys.user(i.sk.slice(2) as UserId)), { consistent: true })
    : [];
  const items = users.map((u) => userInfo(u, (u.status as string | undefined) ?? 'active')).sort((a, b) => a.login.localeCompare(b.login));
  return { items, ...(page.cursor ? { cursor: page.cursor } : {}) };
}

/**
 * Sets a user's limits. Storage and message quotas are allocated from the tenant's limits in the same transaction
 * (the tenant's allocated total never exceeds its limit); a user of a limited tenant cannot be made unlimited.
 */
export async function setUserQuota(ctx: StoreContext, tenantId: TenantId, userId: UserId, change: QuotaChange): Promise<void> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const [user, tenant] = await Promise.all([
      ctx.kv.get('mail', keys.user(userId), { consistent: true }),
      ctx.kv.get('mail', keys.tenant(tenantId), { consistent: true }),
    ]);
    if (!user || user.tenantId !== tenantId || !tenant) throw new MailStoreError('NONEXISTENT', 'No such user');
    const oldBytes = num(user.quotaBytes);
    const oldMessages = num(user.quotaMessages);
    const newBytes = change.bytes === undefined ? oldBytes : change.bytes;
    const newMessages = change.messages === undefined ? oldMessages : change.messages;
    if (typeof tenant.limitBytes === 'number' && newBytes === null) {
      throw new MailStoreError('LIMIT', 'The tenant has a storage limit: the user needs a storage quota');
    }
    if (typeof tenant.limitMessages === 'number' && newMessages === null) {
      throw new MailStoreError('LIMIT', 'The tenant has a message limit: the user needs a message quota');
    }
    const set: { [k: string]: number } = {};
    const remove: string[] = [];
    const apply = (attr: string, v: number | null | undefined): void => {
      if (v === undefined) return;
      if (v === null) remove.push(attr);
      else set[attr] = v;
    };
    apply('quotaBytes', change.bytes);
    apply('quotaMessages', change.messages);
    apply('quotaMailboxes', change.mailboxes);
    const deltaBytes = (newBytes ?? 0) - (oldBytes ?? 0);
    const deltaMessages = (newMessages ?? 0) - (oldMessages ?? 0);
    const same = (attr: string, v: number | null): Condition => (v === null ? { op: 'notExists', attr } : { op: 'eq', attr, value: v });
    const actions: TxAction[] = [
      {
        type: 'update',
        table: 'mail',
        key: keys.user(userId),
        update: { set, ...(remove.length ? { remove } : {}) },
        condition: { op: 'and', conditions: [same('quotaBytes', oldBytes), same('quotaMessages', oldMessages)] },
      },
      {
        type: 'update',
        table: 'mail',
        key: keys.tenant(tenantId),
        update: { add: { allocatedBytes: deltaBytes, allocatedMessages: deltaMessages } },
        condition: allocationCondition(tenant, 0, deltaBytes, deltaMessages),
      },
    ];
    try {
      await ctx.kv.transactWrite(actions);
      return;
    } catch (err) {
      if (!(err instanceof ConditionFailedError)) throw err;
      if (err.actionIndex === 1) {
        const fresh = await ctx.kv.get('mail', keys.tenant(tenantId), { consistent: true });
        const limitsMoved = ['limitBytes', 'limitMessages', 'limitUsers'].some((a) => fresh?.[a] !== tenant[a]);
        if (!limitsMoved) throw new MailStoreError('LIMIT', 'The tenant\'s storage or message limit would be exceeded');
      }
    }
  }
  throw new MailStoreError('UNAVAILABLE', 'Could not set the quota; try again');
}

export async function updateUser(
  ctx: StoreContext,
  tenantId: TenantId,
  rawLogin: string,
  change: { quota?: QuotaChange; tenantAdmin?: boolean; status?: 'active' | 'disabled' },
): Promise<UserInfo> {
  const item = await loginInTenant(ctx, tenantId, rawLogin);
  const userId = item.userId as UserId;
  if (change.quota) await setUserQuota(ctx, tenantId, userId, change.quota);
  if (change.tenantAdmin !== undefined || change.status !== undefined) {
    const set = {
      ...(change.tenantAdmin !== undefined ? { tenantAdmin: change.tenantAdmin } : {}),
      ...(change.status !== undefined ? { status: change.status } : {}),
    };
    const actions: TxAction[] = [{ type: 'update', table: 'mail', key: keys.user(userId), update: { set } }];
    if (change.status !== undefined) {
      // A disabled login cannot sign in (login() requires status 'active'); its data stays.
      actions.push({ type: 'update', table: 'mail', key: { pk: item.pk, sk: item.sk }, update: { set: { status: change.status } } });
    }
    await ctx.kv.transactWrite(actions);
  }
  return getUser(ctx, tenantId, item.pk.slice('LOGIN#'.length));
}

export async function setUserPassword(ctx: StoreContext, tenantId: TenantId, rawLogin: string, password: string): Promise<void> {
  if (password.length === 0) throw new MailStoreError('BADREQUEST', 'Password must not be empty');
  const item = await loginInTenant(ctx, tenantId, rawLogin);
  await ctx.kv.update('mail', { pk: item.pk, sk: item.sk }, { set: { secret: { ...makeScramSecret(password) } } }, {
    condition: { op: 'eq', attr: 'tenantId', value: tenantId },
  });
}

/**
 * Deletes a user for good, in steps that a rerun after a crash simply continues: (1) the login is marked deleting
 * (no new login or delivery) and keeps the user's quota allocation; (2) the user item goes, so no CREATE can add a
 * mailbox behind our back; (3) every mailbox is closed through the commit protocol (open sessions see it go) and its
 * items removed; (4) the user's own items and aliases go; (5) one transaction removes the login and the tenant's
 * allocation and leaves a GC tombstone for the user's blob prefix, which the GC sweep empties (§C8, gc.ts).
 */
export async function deleteUser(ctx: StoreContext, tenantId: TenantId, rawLogin: string): Promise<void> {
  let item = await loginInTenant(ctx, tenantId, rawLogin);
  const userId = item.userId as UserId;
  if (item.status !== 'deleting') {
    const user = await ctx.kv.get('mail', keys.user(userId), { consistent: true });
    item = await ctx.kv.update(
      'mail',
      { pk: item.pk, sk: item.sk },
      { set: { status: 'deleting', deletingQuotaBytes: num(user?.quotaBytes) ?? 0, deletingQuotaMessages: num(user?.quotaMessages) ?? 0 } },
      { condition: { op: 'eq', attr: 'userId', value: userId } },
    );
  }
  await ctx.kv.delete('mail', keys.user(userId));
  const names = await queryAll(ctx, `U#${userId}`, 'N#');
  for (const name of names) {
    const mailboxId = name.mailboxId as MailboxId;
    try {
      // No usage change: the user item is gone already, and with it the usage.
      await commitMailbox(ctx, mailboxId, 'admin', async () => ({ actions: [], setMeta: { state: 'deleted' }, log: { op: 'D' }, result: undefined }));
    } catch (err) {
      if (!(err instanceof MailStoreError && err.code === 'NONEXISTENT')) throw err;
    }
    await deleteAll(ctx, await queryAll(ctx, `M#${mailboxId}`, ''));
  }
  const aliases = (await queryAll(ctx, `T#${tenantId}`, 'A#')).filter((a) => a.userId === userId);
  await deleteAll(ctx, [
    ...(await queryAll(ctx, `U#${userId}`, '')),
    ...aliases.flatMap((a) => [{ pk: a.pk, sk: a.sk }, keys.alias(a.sk.slice(2))]),
  ]);
  const blobPrefix = blobKeys.userPrefix(tenantId, userId);
  try {
    await finishUserDelete(ctx, tenantId, userId, item, blobPrefix);
  } catch (err) {
    // A concurrent delete of the same user finished first: the outcome is the same.
    if (err instanceof ConditionFailedError) throw new MailStoreError('NONEXISTENT', 'No such user');
    throw err;
  }
}

async function finishUserDelete(ctx: StoreContext, tenantId: TenantId, userId: UserId, item: KvItem, blobPrefix: string): Promise<void> {
  await ctx.kv.transactWrite([
    { type: 'delete', table: 'mail', key: { pk: item.pk, sk: item.sk }, condition: { op: 'eq', attr: 'userId', value: userId } },
    { type: 'delete', table: 'mail', key: keys.tenantUser(tenantId, userId) },
    {
      type: 'update',
      table: 'mail',
      key: keys.tenant(tenantId),
      update: {
        add: { userCount: -1, allocatedBytes: -(num(item.deletingQuotaBytes) ?? 0), allocatedMessages: -(num(item.deletingQuotaMessages) ?? 0) },
      },
    },
    { type: 'put', table: 'mail', item: { ...keys.gcPrefix(blobPrefix), tenantId, userId, at: Date.now() } },
  ]);
}

// ---- app passwords ----

export interface AppPasswordInfo {
  id: string;
  name: string;
  createdAt: number;
}

/** A fresh app password: 4 groups of 4 letters and digits (≈ 80 bits), shown once. */
function generatePassword(): string {
  const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789';
  const bytes = randomBytes(16);
  let out = '';
  for (let i = 0; i < 16; i++) out += alphabet[bytes[i]! % alphabet.length]! + (i % 4 === 3 && i < 15 ? '-' : '');
  return out;
}

export async function createAppPassword(
  ctx: StoreContext,
  tenantId: TenantId,
  rawLogin: string,
  name: string,
): Promise<AppPasswordInfo & { password: string }> {
  const item = await loginInTenant(ctx, tenantId, rawLogin);
  if (listOf(item).length >= MAX_APP_PASSWORDS) throw new MailStoreError('LIMIT', `At most ${MAX_APP_PASSWORDS} app passwords per user`);
  const id = newId().toLowerCase();
  const password = generatePassword();
  const createdAt = Date.now();
  await ctx.kv.update(
    'mail',
    { pk: item.pk, sk: item.sk },
    { set: { [APP_PASSWORD_PREFIX + id]: { name, createdAt, secret: { ...makeScramSecret(password) } } } },
    { condition: { op: 'eq', attr: 'userId', value: item.userId as string } },
  );
  return { id, name, createdAt, password };
}

function listOf(item: KvItem): AppPasswordInfo[] {
  const out: AppPasswordInfo[] = [];
  for (const [attr, value] of Object.entries(item)) {
    if (!attr.startsWith(APP_PASSWORD_PREFIX) || typeof value !== 'object' || value === null) continue;
    const v = value as { name?: string; createdAt?: number };
    out.push({ id: attr.slice(APP_PASSWORD_PREFIX.length), name: v.name ?? '', createdAt: v.createdAt ?? 0 });
  }
  return out.sort((a, b) => a.id.localeCompare(b.id));
}

export async function listAppPasswords(ctx: StoreContext, tenantId: TenantId, rawLogin: string): Promise<{ items: AppPasswordInfo[] }> {
  return { items: listOf(await loginInTenant(ctx, tenantId, rawLogin)) };
}

export async function revokeAppPassword(ctx: StoreContext, tenantId: TenantId, rawLogin: string, id: string): Promise<void> {
  const item = await loginInTenant(ctx, tenantId, rawLogin);
  if (!/^[0-9a-z]{1,64}$/.test(id) || !(APP_PASSWORD_PREFIX + id in item)) throw new MailStoreError('NONEXISTENT', 'No such app password');
  await ctx.kv.update('mail', { pk: item.pk, sk: item.sk }, { remove: [APP_PASSWORD_PREFIX + id] });
}

// ---- aliases ----

export interface AliasInfo {
  address: string;
  login: string;
}

export async function createAlias(ctx: StoreContext, tenantId: TenantId, rawAddress: string, rawLogin: string): Promise<AliasInfo> {
  const address = normalizeLogin(rawAddress);
  const target = await loginInTenant(ctx, tenantId, rawLogin);
  const login = target.pk.slice('LOGIN#'.length);
  const domain = address.slice(address.lastIndexOf('@') + 1);
  try {
    await ctx.kv.transactWrite([
      { type: 'check', table: 'mail', key: keys.domain(domain), condition: { op: 'eq', attr: 'tenantId', value: tenantId } },
      { type: 'check', table: 'mail', key: keys.login(address), condition: { op: 'notExists', attr: 'pk' } },
      {
        type: 'put',
        table: 'mail',
        item: { ...keys.alias(address), tenantId, userId: target.userId as string, login },
        condition: { op: 'notExists', attr: 'pk' },
      },
      { type: 'put', table: 'mail', item: { ...keys.tenantAlias(tenantId, address), userId: target.userId as string, login } },
    ]);
  } catch (err) {
    if (err instanceof ConditionFailedError) {
      if (err.actionIndex === 0) throw new MailStoreError('NONEXISTENT', `Domain ${domain} does not belong to this tenant`);
      throw new MailStoreError('ALREADYEXISTS', `${address} is already a user or an alias`);
    }
    throw err;
  }
  return { address, login };
}

export async function listAliases(ctx: StoreContext, tenantId: TenantId): Promise<{ items: AliasInfo[] }> {
  await getTenant(ctx, tenantId);
  const items = (await queryAll(ctx, `T#${tenantId}`, 'A#')).map((a) => ({ address: a.sk.slice(2), login: a.login as string }));
  return { items };
}

export async function deleteAlias(ctx: StoreContext, tenantId: TenantId, rawAddress: string): Promise<void> {
  let address: string;
  try {
    address = normalizeLogin(rawAddress);
  } catch {
    throw new MailStoreError('NONEXISTENT', 'No such alias');
  }
  try {
    await ctx.kv.transactWrite([
      { type: 'delete', table: 'mail', key: keys.alias(address), condition: { op: 'eq', attr: 'tenantId', value: tenantId } },
      { type: 'delete', table: 'mail', key: keys.tenantAlias(tenantId, address) },
    ]);
  } catch (err) {
    if (err instanceof ConditionFailedError) throw new MailStoreError('NONEXISTENT', 'No such alias');
    throw err;
  }
}

// ---- tenant-scoped admin tokens ----

export interface AdminTokenInfo {
  id: string;
  name: string;
  createdAt: number;
}

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('base64url');

/** Issues a token that reaches only `tenantId`. Format `stt.<id>.<secret>`; only sha256(secret) is stored. */
export async function createAdminToken(ctx: StoreContext, tenantId: TenantId, name: string): Promise<AdminTokenInfo & { token: string }> {
  await getTenant(ctx, tenantId);
  const id = newId().toLowerCase();
  const secret = randomBytes(32).toString('base64url');
  const createdAt = Date.now();
  await ctx.kv.transactWrite([
    {
      type: 'put',
      table: 'mail',
      item: { ...keys.adminToken(id), tenantId, name, hash: sha256(secret), createdAt },
      condition: { op: 'notExists', attr: 'pk' },
    },
    { type: 'put', table: 'mail', item: { ...keys.tenantAdminToken(tenantId, id), name, createdAt } },
  ]);
  return { id, name, createdAt, token: `${TOKEN_PREFIX}.${id}.${secret}` };
}

export async function listAdminTokens(ctx: StoreContext, tenantId: TenantId): Promise<{ items: AdminTokenInfo[] }> {
  await getTenant(ctx, tenantId);
  const items = (await queryAll(ctx, `T#${tenantId}`, 'K#')).map((k) => ({
    id: k.sk.slice(2),
    name: k.name as string,
    createdAt: num(k.createdAt) ?? 0,
  }));
  return { items };
}

export async function revokeAdminToken(ctx: StoreContext, tenantId: TenantId, id: string): Promise<void> {
  if (!/^[0-9a-z]{1,64}$/.test(id)) throw new MailStoreError('NONEXISTENT', 'No such token');
  try {
    await ctx.kv.transactWrite([
      { type: 'delete', table: 'mail', key: keys.adminToken(id), condition: { op: 'eq', attr: 'tenantId', value: tenantId } },
      { type: 'delete', table: 'mail', key: keys.tenantAdminToken(tenantId, id) },
    ]);
  } catch (err) {
    if (err instanceof ConditionFailedError) throw new MailStoreError('NONEXISTENT', 'No such token');
    throw err;
  }
}

/** The tenant a tenant-scoped token reaches, or undefined when it is not one of ours (revoked, forged, malformed). */
export async function tenantOfAdminToken(ctx: StoreContext, token: string): Promise<TenantId | undefined> {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== TOKEN_PREFIX || !/^[0-9a-z]{1,64}$/.test(parts[1]!)) return undefined;
  const item = await ctx.kv.get('mail', keys.adminToken(parts[1]!), { consistent: true });
  if (!item || typeof item.hash !== 'string') return undefined;
  const given = Buffer.from(sha256(parts[2]!));
  const stored = Buffer.from(item.hash);
  if (given.length !== stored.length || !timingSafeEqual(given, stored)) return undefined;
  return item.tenantId as TenantId;
}
