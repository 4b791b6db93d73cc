// Shared mailboxes and their ACLs for the admin API (issue 4): the tenant's public mailboxes (IMAP `Shared/…`) are
// owned by the tenant's pseudo-owner; the admin acts as that owner, so every rule of the IMAP path applies (the ACL
// identifiers resolve only inside the tenant, DELETE removes the ACL and its share index items).
import { z } from 'zod';
import type { Caller, StoreContext } from './context.js';
import { MailStoreError } from './errors.js';
import type { TenantId } from './ids.js';
import { sharedOwnerOf, OTHER_USERS, SHARED } from './acl-paths.js';
import { deleteAcl, getAcl, setAcl } from './acl-store.js';
import { createMailbox, deleteMailbox, ensureSharedOwner } from './mailboxes.js';
import { adminScopeOf } from './tenants-functions.js';
import { getTenant } from './tenants.js';
import { queryAll } from './query-all.js';
import { DELIMITER, normalizePath } from './names.js';

const adminToken = z.string().min(1).max(4096);
const tenantId = z.string().min(1).max(64);
const name = z.string().min(1).max(512);
const identifier = z.string().min(1).max(320);

/** Request bodies of the REST routes (validated there and at the function boundary). */
export const sharedBodies = {
  create: z.object({ name }).strict(),
  rights: z.object({ rights: z.string().max(64) }).strict(),
};

export const sharedRequestSchemas = {
  'admin.shared.create': sharedBodies.create.extend({ adminToken, tenantId }),
  'admin.shared.list': z.object({ adminToken, tenantId }),
  'admin.shared.delete': z.object({ adminToken, tenantId, name }),
  'admin.shared.getAcl': z.object({ adminToken, tenantId, name }),
  'admin.shared.setAcl': sharedBodies.rights.extend({ adminToken, tenantId, name, identifier }),
  'admin.shared.deleteAcl': z.object({ adminToken, tenantId, name, identifier }),
} as const;

export interface SharedResponseMap {
  'admin.shared.create': { name: string; mailboxId: string };
  'admin.shared.list': { items: { name: string; mailboxId: string }[] };
  'admin.shared.delete': Record<string, never>;
  'admin.shared.getAcl': { name: string; entries: { identifier: string; rights: string }[] };
  'admin.shared.setAcl': Record<string, never>;
  'admin.shared.deleteAcl': Record<string, never>;
}

/** The pseudo-owner of `tenantId`'s Shared/ tree, for a token that reaches the tenant (404 for another tenant). */
async function ownerFor(ctx: StoreContext, token: string, tenant: string): Promise<Caller> {
  const scope = await adminScopeOf(ctx, token);
  if (scope.kind === 'tenant' && scope.tenantId !== tenant) throw new MailStoreError('NONEXISTENT', 'No such tenant');
  await getTenant(ctx, tenant as TenantId); // a deleted tenant has no Shared/ tree either (404)
  return { tenantId: tenant as TenantId, userId: sharedOwnerOf(tenant), login: '', session: 'admin' };
}

/** A shared mailbox's name without the `Shared/` prefix; names of the other namespaces are refused. */
function nameOf(raw: string): string {
  let path = normalizePath(raw);
  if (path.startsWith(SHARED + DELIMITER)) path = path.slice(SHARED.length + 1);
  const first = path.split(DELIMITER)[0];
  if (first === SHARED || first === OTHER_USERS) throw new MailStoreError('BADREQUEST', 'Invalid shared mailbox name');
  return path;
}

type Req<O extends keyof typeof sharedRequestSchemas> = z.infer<(typeof sharedRequestSchemas)[O]>;

export const sharedHandlers = {
  'admin.shared.create': async (ctx: StoreContext, b: Req<'admin.shared.create'>): Promise<SharedResponseMap['admin.shared.create']> => {
    const owner = await ownerFor(ctx, b.adminToken, b.tenantId);
    const path = nameOf(b.name);
    await ensureSharedOwner(ctx, owner);
    const { mailboxId } = await createMailbox(ctx, owner, path);
    return { name: path, mailboxId };
  },
  'admin.shared.list': async (ctx: StoreContext, b: Req<'admin.shared.list'>): Promise<SharedResponseMap['admin.shared.list']> => {
    const owner = await ownerFor(ctx, b.adminToken, b.tenantId);
    const names = await queryAll(ctx, `U#${owner.userId}`, 'N#');
    return { items: names.map((n) => ({ name: n.sk.slice(2), mailboxId: n.mailboxId as string })) };
  },
  'admin.shared.delete': async (ctx: StoreContext, b: Req<'admin.shared.delete'>): Promise<SharedResponseMap['admin.shared.delete']> => {
    await deleteMailbox(ctx, await ownerFor(ctx, b.adminToken, b.tenantId), nameOf(b.name));
    return {};
  },
  'admin.shared.getAcl': async (ctx: StoreContext, b: Req<'admin.shared.getAcl'>): Promise<SharedResponseMap['admin.shared.getAcl']> => {
    const { path, entries } = await getAcl(ctx, await ownerFor(ctx, b.adminToken, b.tenantId), nameOf(b.name));
    return { name: path, entries };
  },
  'admin.shared.setAcl': async (ctx: StoreContext, b: Req<'admin.shared.setAcl'>): Promise<SharedResponseMap['admin.shared.setAcl']> => {
    await setAcl(ctx, await ownerFor(ctx, b.adminToken, b.tenantId), nameOf(b.name), b.identifier, b.rights);
    return {};
  },
  'admin.shared.deleteAcl': async (ctx: StoreContext, b: Req<'admin.shared.deleteAcl'>): Promise<SharedResponseMap['admin.shared.deleteAcl']> => {
    await deleteAcl(ctx, await ownerFor(ctx, b.adminToken, b.tenantId), nameOf(b.name), b.identifier);
    return {};
  },
};
