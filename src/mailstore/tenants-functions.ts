// The admin and quota function families. Authorisation happens here, once, from the token in the request:
//   - the operator token (its sha256 is in StoreContext.adminTokenHash) may do everything;
//   - a tenant-scoped token (`stt.<id>.<secret>`, stored hashed under ADMTOK#<id>, revocable) may act only inside
//     its tenant, and not on the tenant itself (create, list, update limits, delete are operator-only → NOPERM).
//   A tenant token naming another tenant gets NONEXISTENT: other tenants are not confirmed to exist.
// quota.* requests carry a user session token like every mailbox operation (callerOf).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { z } from 'zod';
import { callerOf, type StoreContext } from './context.js';
import { MailStoreError } from './errors.js';
import type { TenantId } from './ids.js';
import { getQuota, getQuotaRoot, setQuota } from './quota.js';
import type { adminRequestSchemas, quotaRequestSchemas, AdminResponseMap } from './tenants-api.js';
import * as t from './tenants.js';

export type AdminScope = { kind: 'operator' } | { kind: 'tenant'; tenantId: TenantId };

export function hashAdminToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64url');
}

export async function adminScopeOf(ctx: StoreContext, token: string): Promise<AdminScope> {
  if (ctx.adminTokenHash) {
    const given = Buffer.from(hashAdminToken(token));
    const expected = Buffer.from(ctx.adminTokenHash);
    if (given.length === expected.length && timingSafeEqual(given, expected)) return { kind: 'operator' };
  }
  const tenantId = await t.tenantOfAdminToken(ctx, token);
  if (tenantId) return { kind: 'tenant', tenantId };
  throw new MailStoreError('UNAUTHORIZED', 'Admin token is not valid');
}

function operatorOnly(scope: AdminScope): void {
  if (scope.kind !== 'operator') throw new MailStoreError('NOPERM', 'Only the operator may do this');
}

/** The tenant a request may act on: its own for a tenant token; any for the operator. */
function tenantFor(scope: AdminScope, tenantId: string): TenantId {
  if (scope.kind === 'tenant' && scope.tenantId !== tenantId) throw new MailStoreError('NONEXISTENT', 'No such tenant');
  return tenantId as TenantId;
}

type Schemas = typeof adminRequestSchemas & typeof quotaRequestSchemas;
type Req<O extends keyof Schemas> = z.infer<Schemas[O]>;
type Res<O extends keyof AdminResponseMap> = Promise<AdminResponseMap[O]>;

const bytesOf = (kib: number | null | undefined): number | null | undefined => (kib === undefined || kib === null ? kib : kib * 1024);
const quotaChange = (q: Req<'admin.user.update'>['quota']): t.QuotaChange | undefined =>
  q && { bytes: bytesOf(q.storageKiB), messages: q.messages, mailboxes: q.mailboxes };
const newQuota = (q: Req<'admin.user.create'>['quota']) => ({
  ...(typeof q?.storageKiB === 'number' ? { bytes: q.storageKiB * 1024 } : {}),
  ...(typeof q?.messages === 'number' ? { messages: q.messages } : {}),
  ...(typeof q?.mailboxes === 'number' ? { mailboxes: q.mailboxes } : {}),
});
const limitsOf = (l: Req<'admin.tenant.create'>['limits']) => l && { users: l.users, storageBytes: l.storageBytes, messages: l.messages };

export const adminHandlers = {
  'admin.whoami': async (ctx: StoreContext, b: Req<'admin.whoami'>): Res<'admin.whoami'> => {
    const s = await adminScopeOf(ctx, b.adminToken);
    return s.kind === 'operator' ? { scope: 'operator' } : { scope: 'tenant', tenantId: s.tenantId };
  },
  'admin.tenant.create': async (ctx: StoreContext, b: Req<'admin.tenant.create'>): Res<'admin.tenant.create'> => {
    operatorOnly(await adminScopeOf(ctx, b.adminToken));
    return t.createTenant(ctx, b.name, limitsOf(b.limits));
  },
  'admin.tenant.list': async (ctx: StoreContext, b: Req<'admin.tenant.list'>): Res<'admin.tenant.list'> => {
    operatorOnly(await adminScopeOf(ctx, b.adminToken));
    return t.listTenants(ctx, b.limit ?? 100, b.cursor);
  },
  'admin.tenant.get': async (ctx: StoreContext, b: Req<'admin.tenant.get'>): Res<'admin.tenant.get'> =>
    t.getTenant(ctx, tenantFor(await adminScopeOf(ctx, b.adminToken), b.tenantId)),
  'admin.tenant.update': async (ctx: StoreContext, b: Req<'admin.tenant.update'>): Res<'admin.tenant.update'> => {
    const scope = await adminScopeOf(ctx, b.adminToken);
    const tenantId = tenantFor(scope, b.tenantId);
    operatorOnly(scope);
    return t.updateTenant(ctx, tenantId, { name: b.name, limits: limitsOf(b.limits) });
  },
  'admin.tenant.delete': async (ctx: StoreContext, b: Req<'admin.tenant.delete'>): Res<'admin.tenant.delete'> => {
    const scope = await adminScopeOf(ctx, b.adminToken);
    const tenantId = tenantFor(scope, b.tenantId);
    operatorOnly(scope);
    await t.deleteTenant(ctx, tenantId);
    return {};
  },
  'admin.tenant.usage': async (ctx: StoreContext, b: Req<'admin.tenant.usage'>): Res<'admin.tenant.usage'> =>
    t.tenantUsage(ctx, tenantFor(await adminScopeOf(ctx, b.adminToken), b.tenantId)),
  'admin.domain.add': async (ctx: StoreContext, b: Req<'admin.domain.add'>): Res<'admin.domain.add'> =>
    t.addDomain(ctx, tenantFor(await adminScopeOf(ctx, b.adminToken), b.tenantId), b.domain),
  'admin.domain.list': async (ctx: StoreContext, b: Req<'admin.domain.list'>): Res<'admin.domain.list'> =>
    t.listDomains(ctx, tenantFor(await adminScopeOf(ctx, b.adminToken), b.tenantId)),
  'admin.domain.remove': async (ctx: StoreContext, b: Req<'admin.domain.remove'>): Res<'admin.domain.remove'> => {
    await t.removeDomain(ctx, tenantFor(await adminScopeOf(ctx, b.adminToken), b.tenantId), b.domain);
    return {};
  },
  'admin.user.create': async (ctx: StoreContext, b: Req<'admin.user.create'>): Res<'admin.user.create'> =>
    t.createUser(ctx, tenantFor(await adminScopeOf(ctx, b.adminToken), b.tenantId), b.login, b.password, {
      quota: newQuota(b.quota),
      tenantAdmin: b.tenantAdmin,
    }),
  'admin.user.list': async (ctx: StoreContext, b: Req<'admin.user.list'>): Res<'admin.user.list'> =>
    t.listTenantUsers(ctx, tenantFor(await adminScopeOf(ctx, b.adminToken), b.tenantId), b.limit ?? 100, b.cursor),
  'admin.user.get': async (ctx: StoreContext, b: Req<'admin.user.get'>): Res<'admin.user.get'> =>
    t.getUser(ctx, tenantFor(await adminScopeOf(ctx, b.adminToken), b.tenantId), b.login),
  'admin.user.update': async (ctx: StoreContext, b: Req<'admin.user.update'>): Res<'admin.user.update'> =>
    t.updateUser(ctx, tenantFor(await adminScopeOf(ctx, b.adminToken), b.tenantId), b.login, {
      quota: quotaChange(b.quota),
      tenantAdmin: b.tenantAdmin,
      status: b.status,
    }),
  'admin.user.delete': async (ctx: StoreContext, b: Req<'admin.user.delete'>): Res<'admin.user.delete'> => {
    await t.deleteUser(ctx, tenantFor(await adminScopeOf(ctx, b.adminToken), b.tenantId), b.login);
    return {};
  },
  'admin.user.setPassword': async (ctx: StoreContext, b: Req<'admin.user.setPassword'>): Res<'admin.user.setPassword'> => {
    await t.setUserPassword(ctx, tenantFor(await adminScopeOf(ctx, b.adminToken), b.tenantId), b.login, b.password);
    return {};
  },
  'admin.appPassword.create': async (ctx: StoreContext, b: Req<'admin.appPassword.create'>): Res<'admin.appPassword.create'> =>
    t.createAppPassword(ctx, tenantFor(await adminScopeOf(ctx, b.adminToken), b.tenantId), b.login, b.name),
  'admin.appPassword.list': async (ctx: StoreContext, b: Req<'admin.appPassword.list'>): Res<'admin.appPassword.list'> =>
    t.listAppPasswords(ctx, tenantFor(await adminScopeOf(ctx, b.adminToken), b.tenantId), b.login),
  'admin.appPassword.revoke': async (ctx: StoreContext, b: Req<'admin.appPassword.revoke'>): Res<'admin.appPassword.revoke'> => {
    await t.revokeAppPassword(ctx, tenantFor(await adminScopeOf(ctx, b.adminToken), b.tenantId), b.login, b.id);
    return {};
  },
  'admin.alias.create': async (ctx: StoreContext, b: Req<'admin.alias.create'>): Res<'admin.alias.create'> =>
    t.createAlias(ctx, tenantFor(await adminScopeOf(ctx, b.adminToken), b.tenantId), b.address, b.login),
  'admin.alias.list': async (ctx: StoreContext, b: Req<'admin.alias.list'>): Res<'admin.alias.list'> =>
    t.listAliases(ctx, tenantFor(await adminScopeOf(ctx, b.adminToken), b.tenantId)),
  'admin.alias.delete': async (ctx: StoreContext, b: Req<'admin.alias.delete'>): Res<'admin.alias.delete'> => {
    await t.deleteAlias(ctx, tenantFor(await adminScopeOf(ctx, b.adminToken), b.tenantId), b.address);
    return {};
  },
  'admin.token.create': async (ctx: StoreContext, b: Req<'admin.token.create'>): Res<'admin.token.create'> =>
    t.createAdminToken(ctx, tenantFor(await adminScopeOf(ctx, b.adminToken), b.tenantId), b.name),
  'admin.token.list': async (ctx: StoreContext, b: Req<'admin.token.list'>): Res<'admin.token.list'> =>
    t.listAdminTokens(ctx, tenantFor(await adminScopeOf(ctx, b.adminToken), b.tenantId)),
  'admin.token.revoke': async (ctx: StoreContext, b: Req<'admin.token.revoke'>): Res<'admin.token.revoke'> => {
    await t.revokeAdminToken(ctx, tenantFor(await adminScopeOf(ctx, b.adminToken), b.tenantId), b.id);
    return {};
  },
  'quota.get': async (ctx: StoreContext, b: Req<'quota.get'>): Res<'quota.get'> => getQuota(ctx, callerOf(ctx, b.token), b.root),
  'quota.root': async (ctx: StoreContext, b: Req<'quota.root'>): Res<'quota.root'> => getQuotaRoot(ctx, callerOf(ctx, b.token), b.path),
  'quota.set': async (ctx: StoreContext, b: Req<'quota.set'>): Res<'quota.set'> =>
    setQuota(ctx, callerOf(ctx, b.token), b.root, b.limits),
};

export const ADMIN_FAMILY_OF: Record<keyof typeof adminHandlers, 'admin' | 'quota'> = Object.fromEntries(
  Object.keys(adminHandlers).map((op) => [op, op.startsWith('quota.') ? 'quota' : 'admin']),
) as Record<keyof typeof adminHandlers, 'admin' | 'quota'>;
