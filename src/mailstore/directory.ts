// Tenants, domains, users and logins (storage-design §C2). A login is an email address; its domain names the tenant.
import { makeScramSecret, verifyPassword, type ScramSecret } from '../auth/scram.js';
import { issueToken } from '../auth/token.js';
import { ConditionFailedError } from '../storage/errors.js';
import type { Condition, KvItem } from '../storage/kv.js';
import type { StoreContext } from './context.js';
import { MailStoreError } from './errors.js';
import { newId, newTenantId, newUserId, type TenantId, type UserId } from './ids.js';
import { keys } from './keys.js';
import { createMailbox } from './mailboxes.js';

/** Made for every new user, with their RFC 6154 special-use attributes. */
export const DEFAULT_MAILBOXES: { path: string; specialUse: string | null }[] = [
  { path: 'INBOX', specialUse: null },
  { path: 'Sent', specialUse: '\\Sent' },
  { path: 'Drafts', specialUse: '\\Drafts' },
  { path: 'Trash', specialUse: '\\Trash' },
  { path: 'Junk', specialUse: '\\Junk' },
  { path: 'Archive', specialUse: '\\Archive' },
];

export const SESSION_SECONDS = 12 * 3600;

export function normalizeLogin(login: string): string {
  const trimmed = login.trim().toLowerCase();
  const at = trimmed.lastIndexOf('@');
  if (at <= 0 || at === trimmed.length - 1 || trimmed.length > 320 || /\s/.test(trimmed)) {
    throw new MailStoreError('BADREQUEST', 'A login is an email address, like alice@example.com');
  }
  return trimmed;
}

export interface UserSummary {
  login: string;
  userId: UserId;
  tenantId: TenantId;
  domain: string;
  usageBytes: number;
  usageMessages: number;
}

/** Finds or makes the tenant that owns `domain`. Two racing callers agree on one tenant (conditional put). */
async function tenantForDomain(ctx: StoreContext, domain: string): Promise<TenantId> {
  const existing = await ctx.kv.get('mail', keys.domain(domain), { consistent: true });
  if (existing) return existing.tenantId as TenantId;
  const tenantId = newTenantId();
  try {
    await ctx.kv.transactWrite([
      { type: 'put', table: 'mail', item: { ...keys.domain(domain), tenantId }, condition: { op: 'notExists', attr: 'pk' } },
      {
        type: 'put',
        table: 'mail',
        item: { ...keys.tenant(tenantId), name: domain, domains: [domain], status: 'active', userCount: 0, createdAt: Date.now() },
      },
      { type: 'put', table: 'mail', item: { ...keys.tenantIndex(tenantId), name: domain } },
      { type: 'put', table: 'mail', item: { ...keys.tenantDomain(tenantId, domain) } },
    ]);
    return tenantId;
  } catch (err) {
    if (err instanceof ConditionFailedError) return tenantForDomain(ctx, domain);
    throw err;
  }
}

export async function addUser(ctx: StoreContext, rawLogin: string, password: string): Promise<UserSummary> {
  const login = normalizeLogin(rawLogin);
  const domain = login.slice(login.lastIndexOf('@') + 1);
  const tenantId = await tenantForDomain(ctx, domain);
  await rememberDomain(ctx, domain);
  return insertUser(ctx, tenantId, login, password);
}

/** A user's limits (RFC 9208 resources), on U#<u>/META as quotaBytes, quotaMessages, quotaMailboxes; absent = none. */
export interface UserQuota {
  bytes?: number;
  messages?: number;
  mailboxes?: number;
}

/**
 * Adds a user to a tenant whose domain owns the login, in one transaction with the tenant's user count and quota
 * allocation (tenant limits are hard: `userCount < limitUsers`, `allocatedBytes + quota <= limitBytes`, §C4 style).
 */
export async function insertUser(
  ctx: StoreContext,
  tenantId: TenantId,
  login: string,
  password: string,
  options: { quota?: UserQuota; tenantAdmin?: boolean } = {},
): Promise<UserSummary> {
  if (password.length === 0) throw new MailStoreError('BADREQUEST', 'Password must not be empty');
  const domain = login.slice(login.lastIndexOf('@') + 1);
  const tenant = await ctx.kv.get('mail', keys.tenant(tenantId), { consistent: true });
  if (!tenant || tenant.status === 'deleted') throw new MailStoreError('NONEXISTENT', 'No such tenant');
  const quota = options.quota ?? {};
  const tenantCondition = allocationCondition(tenant, 1, quota.bytes ?? 0, quota.messages ?? 0);
  if (tenant.limitBytes !== undefined && quota.bytes === undefined) {
    throw new MailStoreError('LIMIT', 'The tenant has a storage limit: give the user a storage quota');
  }
  if (tenant.limitMessages !== undefined && quota.messages === undefined) {
    throw new MailStoreError('LIMIT', 'The tenant has a message limit: give the user a message quota');
  }
  const userId = newUserId();
  const secret = makeScramSecret(password);
  const quotaAttrs: { [name: string]: number } = {};
  if (quota.bytes !== undefined) quotaAttrs.quotaBytes = quota.bytes;
  if (quota.messages !== undefined) quotaAttrs.quotaMessages = quota.messages;
  try {
    await ctx.kv.transactWrite([
      {
        type: 'put',
        table: 'mail',
        item: { ...keys.login(login), tenantId, userId, secret: { ...secret }, status: 'active' },
        condition: { op: 'notExists', attr: 'pk' },
      },
      {
        type: 'put',
        table: 'mail',
        item: {
          ...keys.user(userId),
          tenantId,
          login,
          uidValidityHwm: 0,
          mailboxes: 0,
          usageBytes: 0,
          usageMessages: 0,
          status: 'active',
          tenantAdmin: options.tenantAdmin ?? false,
          ...quotaAttrs,
          createdAt: Date.now(),
        },
      },
      { type: 'put', table: 'mail', item: { ...keys.tenantUser(tenantId, userId), login } },
      {
        type: 'update',
        table: 'mail',
        key: keys.tenant(tenantId),
        update: { add: { userCount: 1, allocatedBytes: quota.bytes ?? 0, allocatedMessages: quota.messages ?? 0 } },
        condition: tenantCondition,
      },
      { type: 'check', table: 'mail', key: keys.alias(login), condition: { op: 'notExists', attr: 'pk' } },
      { type: 'check', table: 'mail', key: keys.domain(domain), condition: { op: 'eq', attr: 'tenantId', value: tenantId } },
    ]);
  } catch (err) {
    if (err instanceof ConditionFailedError) {
      if (err.actionIndex === 3) throw new MailStoreError('LIMIT', 'The tenant\'s user or quota limit would be exceeded');
      if (err.actionIndex === 5) throw new MailStoreError('NONEXISTENT', `Domain ${domain} does not belong to this tenant`);
      throw new MailStoreError('ALREADYEXISTS', `User or alias ${login} already exists`);
    }
    throw err;
  }
  for (const { path, specialUse } of DEFAULT_MAILBOXES) {
    await createMailbox(ctx, { tenantId, userId, login, session: 'system' }, path, specialUse);
  }
  if (quota.mailboxes !== undefined) {
    await ctx.kv.update('mail', keys.user(userId), { set: { quotaMailboxes: quota.mailboxes } });
  }
  return { login, userId, tenantId, domain, usageBytes: 0, usageMessages: 0 };
}

/**
 * The condition on T#<t>/META for adding `users` users and allocating `bytes` / `messages` of user quota: the tenant
 * exists and stays within its limits. Limits are top-level attributes (limitUsers, limitBytes, limitMessages).
 */
export function allocationCondition(tenant: KvItem, users: number, bytes: number, messages: number): Condition {
  const conditions: Condition[] = [{ op: 'exists', attr: 'pk' }, { op: 'ne', attr: 'status', value: 'deleted' }];
  const bound = (attr: string, limit: unknown, delta: number): void => {
    if (typeof limit !== 'number' || delta <= 0) return;
    conditions.push({
      op: 'or',
      conditions: [
        { op: 'notExists', attr },
        { op: 'le', attr, value: limit - delta },
      ],
    });
    if (limit - delta < 0) conditions.push({ op: 'exists', attr: '__never__' });
  };
  bound('userCount', tenant.limitUsers, users);
  bound('allocatedBytes', tenant.limitBytes, bytes);
  bound('allocatedMessages', tenant.limitMessages, messages);
  // A limit changed since it was read: fail rather than check against a stale one.
  for (const attr of ['limitUsers', 'limitBytes', 'limitMessages']) {
    const v = tenant[attr];
    conditions.push(typeof v === 'number' ? { op: 'eq', attr, value: v } : { op: 'notExists', attr });
  }
  return { op: 'and', conditions };
}

export async function setPassword(ctx: StoreContext, rawLogin: string, password: string): Promise<void> {
  const login = normalizeLogin(rawLogin);
  if (password.length === 0) throw new MailStoreError('BADREQUEST', 'Password must not be empty');
  try {
    await ctx.kv.update('mail', keys.login(login), { set: { secret: { ...makeScramSecret(password) } } }, {
      condition: { op: 'exists', attr: 'pk' },
    });
  } catch (err) {
    if (err instanceof ConditionFailedError) throw new MailStoreError('NONEXISTENT', `No user ${login}`);
    throw err;
  }
}

export async function listUsers(ctx: StoreContext, domain?: string): Promise<UserSummary[]> {
  const domains: string[] = [];
  if (domain) domains.push(domain.toLowerCase());
  else {
    const all = await ctx.kv.get('mail', keys.system('domains'), { consistent: true });
    domains.push(...((all?.names as string[] | undefined) ?? []));
  }
  const out: UserSummary[] = [];
  for (const d of domains) {
    const dom = await ctx.kv.get('mail', keys.domain(d), { consistent: true });
    if (!dom) continue;
    const tenantId = dom.tenantId as TenantId;
    let cursor: string | undefined;
    do {
      const page = await ctx.kv.query('mail', { pk: `T#${tenantId}`, sk: { beginsWith: 'U#' }, cursor, consistent: true });
      const users = await ctx.kv.batchGet(
        'mail',
        page.items.map((i) => keys.user(i.sk.slice(2) as UserId)),
        { consistent: true },
      );
      for (const u of users) out.push(summary(u, d));
      cursor = page.cursor;
    } while (cursor);
  }
  return out.sort((a, b) => a.login.localeCompare(b.login));
}

function summary(user: KvItem, domain: string): UserSummary {
  return {
    login: user.login as string,
    userId: user.pk.slice(2) as UserId,
    tenantId: user.tenantId as TenantId,
    domain,
    usageBytes: (user.usageBytes as number) ?? 0,
    usageMessages: (user.usageMessages as number) ?? 0,
  };
}

/** Keeps the list of domains an operator can enumerate (`stratus user list`), without a table scan. */
export async function rememberDomain(ctx: StoreContext, domain: string): Promise<void> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const item = await ctx.kv.get('mail', keys.system('domains'), { consistent: true });
    const names = (item?.names as string[] | undefined) ?? [];
    if (names.includes(domain)) return;
    const version = (item?.version as number | undefined) ?? 0;
    try {
      await ctx.kv.put('mail', { ...keys.system('domains'), names: [...names, domain].sort(), version: version + 1 }, {
        condition: item ? { op: 'eq', attr: 'version', value: version } : { op: 'notExists', attr: 'pk' },
      });
      return;
    } catch (err) {
      if (!(err instanceof ConditionFailedError)) throw err;
    }
  }
  throw new MailStoreError('UNAVAILABLE', 'Could not record the domain');
}

/** LOGIN and SASL PLAIN: checks the password against the stored SCRAM secret and issues a session token. */
export async function login(
  ctx: StoreContext,
  rawLogin: string,
  password: string,
): Promise<{ token: string; login: string; userId: string; tenantId: string }> {
  let normalized: string;
  try {
    normalized = normalizeLogin(rawLogin);
  } catch {
    throw new MailStoreError('AUTHENTICATIONFAILED', 'Authentication failed');
  }
  const item = await ctx.kv.get('mail', keys.login(normalized));
  if (!item || item.status !== 'active' || !passwordMatches(item, password)) {
    throw new MailStoreError('AUTHENTICATIONFAILED', 'Authentication failed');
  }
  const claims = {
    tenantId: item.tenantId as string,
    userId: item.userId as string,
    login: normalized,
    sessionId: newId(),
    expiresAt: Math.floor(Date.now() / 1000) + SESSION_SECONDS,
  };
  return { token: issueToken(ctx.tokenKey, claims), login: normalized, userId: claims.userId, tenantId: claims.tenantId };
}

/** App passwords live on the login item as `ap_<id>` attributes: each is one SCRAM secret, revoked by removal. */
export const APP_PASSWORD_PREFIX = 'ap_';

/** The account password, or any of the login's app passwords (LOGIN, AUTHENTICATE PLAIN). */
export function passwordMatches(item: KvItem, password: string): boolean {
  const secret = item.secret as ScramSecret | undefined;
  if (secret && verifyPassword(secret, password)) return true;
  for (const [name, value] of Object.entries(item)) {
    if (!name.startsWith(APP_PASSWORD_PREFIX) || typeof value !== 'object' || value === null) continue;
    const app = value as { secret?: ScramSecret };
    if (app.secret && verifyPassword(app.secret, password)) return true;
  }
  return false;
}
