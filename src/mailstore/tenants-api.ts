// The admin and quota operations of the MailStore API (JSON-only, validated with zod at the function boundary).
// Every admin.* request carries `adminToken`: the operator token or a tenant-scoped token. The admin function
// itself decides what that token may do (tenants-functions.ts) — the REST layer only passes it on, so the same
// rules hold for every caller. The body schemas are exported so the REST layer validates with the same shapes.
import { z } from 'zod';
import type { AdminTokenInfo, AliasInfo, AppPasswordInfo, Page, TenantInfo, UserInfo } from './tenants.js';
import type { QuotaResource } from './quota.js';

const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const name = z.string().min(1).max(200);
const address = z.string().min(3).max(320);
const tenantId = z.string().min(1).max(64);
const adminToken = z.string().min(1).max(4096);
const token = z.string().min(1).max(4096);

export const tenantLimitsSchema = z
  .object({ users: count.nullable().optional(), storageBytes: count.nullable().optional(), messages: count.nullable().optional() })
  .strict();
export const userQuotaSchema = z
  .object({ storageKiB: count.nullable().optional(), messages: count.nullable().optional(), mailboxes: count.nullable().optional() })
  .strict();

/** Request bodies of the admin REST API (and the non-scope part of each admin.* request). */
export const adminBodies = {
  tenantCreate: z.object({ name, limits: tenantLimitsSchema.optional() }).strict(),
  tenantUpdate: z.object({ name: name.optional(), limits: tenantLimitsSchema.optional() }).strict(),
  domainAdd: z.object({ domain: z.string().min(1).max(253) }).strict(),
  userCreate: z
    .object({ login: address, password: z.string().min(1).max(1024), quota: userQuotaSchema.optional(), tenantAdmin: z.boolean().optional() })
    .strict(),
  userUpdate: z
    .object({ quota: userQuotaSchema.optional(), tenantAdmin: z.boolean().optional(), status: z.enum(['active', 'disabled']).optional() })
    .strict(),
  password: z.object({ password: z.string().min(1).max(1024) }).strict(),
  appPasswordCreate: z.object({ name }).strict(),
  aliasCreate: z.object({ address, login: address }).strict(),
  tokenCreate: z.object({ name }).strict(),
};

const paging = { limit: z.number().int().min(1).max(1000).optional(), cursor: z.string().min(1).max(4096).optional() };
const scoped = { adminToken, tenantId };
const user = { ...scoped, login: address };

export const adminRequestSchemas = {
  'admin.whoami': z.object({ adminToken }),
  'admin.tenant.create': adminBodies.tenantCreate.extend({ adminToken }),
  'admin.tenant.list': z.object({ adminToken, ...paging }),
  'admin.tenant.get': z.object(scoped),
  'admin.tenant.update': adminBodies.tenantUpdate.extend(scoped),
  'admin.tenant.delete': z.object(scoped),
  'admin.tenant.usage': z.object(scoped),
  'admin.domain.add': adminBodies.domainAdd.extend(scoped),
  'admin.domain.list': z.object(scoped),
  'admin.domain.remove': z.object({ ...scoped, domain: z.string().min(1).max(253) }),
  'admin.user.create': adminBodies.userCreate.extend(scoped),
  'admin.user.list': z.object({ ...scoped, ...paging }),
  'admin.user.get': z.object(user),
  'admin.user.update': adminBodies.userUpdate.extend(user),
  'admin.user.delete': z.object(user),
  'admin.user.setPassword': adminBodies.password.extend(user),
  'admin.appPassword.create': adminBodies.appPasswordCreate.extend(user),
  'admin.appPassword.list': z.object(user),
  'admin.appPassword.revoke': z.object({ ...user, id: z.string().min(1).max(64) }),
  'admin.alias.create': adminBodies.aliasCreate.extend(scoped),
  'admin.alias.list': z.object(scoped),
  'admin.alias.delete': z.object({ ...scoped, address }),
  'admin.token.create': adminBodies.tokenCreate.extend(scoped),
  'admin.token.list': z.object(scoped),
  'admin.token.revoke': z.object({ ...scoped, id: z.string().min(1).max(64) }),
} as const;

export const quotaRequestSchemas = {
  'quota.get': z.object({ token, root: z.string().max(320) }),
  'quota.root': z.object({ token, path: z.string().min(1).max(512) }),
  'quota.set': z.object({
    token,
    root: z.string().max(320),
    limits: z.object({ storageKiB: count.optional(), messages: count.optional(), mailboxes: count.optional() }).strict(),
  }),
} as const;

type Empty = Record<string, never>;
type QuotaRoot = { root: string; resources: QuotaResource[] };

export interface AdminResponseMap {
  'admin.whoami': { scope: 'operator' } | { scope: 'tenant'; tenantId: string };
  'admin.tenant.create': TenantInfo;
  'admin.tenant.list': Page<TenantInfo>;
  'admin.tenant.get': TenantInfo;
  'admin.tenant.update': TenantInfo;
  'admin.tenant.delete': Empty;
  'admin.tenant.usage': { tenant: TenantInfo; usage: { users: number; bytes: number; messages: number; mailboxes: number } };
  'admin.domain.add': { domain: string };
  'admin.domain.list': { domains: string[] };
  'admin.domain.remove': Empty;
  'admin.user.create': UserInfo;
  'admin.user.list': Page<UserInfo>;
  'admin.user.get': UserInfo;
  'admin.user.update': UserInfo;
  'admin.user.delete': Empty;
  'admin.user.setPassword': Empty;
  'admin.appPassword.create': AppPasswordInfo & { password: string };
  'admin.appPassword.list': { items: AppPasswordInfo[] };
  'admin.appPassword.revoke': Empty;
  'admin.alias.create': AliasInfo;
  'admin.alias.list': { items: AliasInfo[] };
  'admin.alias.delete': Empty;
  'admin.token.create': AdminTokenInfo & { token: string };
  'admin.token.list': { items: AdminTokenInfo[] };
  'admin.token.revoke': Empty;
  'quota.get': QuotaRoot;
  'quota.root': { path: string; roots: QuotaRoot[] };
  'quota.set': QuotaRoot;
}
