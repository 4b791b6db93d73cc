// Tenants, domains, users and logins (storage-design §C2). A login is an email address; its domain names the tenant.
import { makeScramSecret, verifyPassword, type ScramSecret } from '../auth/scram.js';
import { issueToken } from '../auth/token.js';
import { ConditionFailedError } from '../storage/errors.js';
import type { KvItem } from '../storage/kv.js';
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

const SESSION_SECONDS = 12 * 3600;

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
      { type: 'put', table: 'mail', item: { ...keys.tenant(tenantId), name: domain, domains: [domain], createdAt: Date.now() } },
    ]);
    return tenantId;
  } catch (err) {
    if (err instanceof ConditionFailedError) return tenantForDomain(ctx, domain);
    throw err;
  }
}

export async function addUser(ctx: StoreContext, rawLogin: string, password: string): Promise<UserSummary> {
  const login = normalizeLogin(rawLogin);
  if (password.length === 0) throw new MailStoreError('BADREQUEST', 'Password must not be empty');
  const domain = login.slice(login.lastIndexOf('@') + 1);
  const tenantId = await tenantForDomain(ctx, domain);
  await rememberDomain(ctx, domain);
  const userId = newUserId();
  const secret = makeScramSecret(password);
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
          createdAt: Date.now(),
        },
      },
      { type: 'put', table: 'mail', item: { ...keys.tenantUser(tenantId, userId), login } },
    ]);
  } catch (err) {
    if (err instanceof ConditionFailedError) throw new MailStoreError('ALREADYEXISTS', `User ${login} already exists`);
    throw err;
  }
  for (const { path, specialUse } of DEFAULT_MAILBOXES) {
    await createMailbox(ctx, { tenantId, userId, login, session: 'system' }, path, specialUse);
  }
  return { login, userId, tenantId, domain, usageBytes: 0, usageMessages: 0 };
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
  const secret = item?.secret as ScramSecret | undefined;
  if (!item || item.status !== 'active' || !secret || !verifyPassword(secret, password)) {
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
