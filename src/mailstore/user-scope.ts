// The users an operator job (fsck, GC) walks: one login, one tenant, or every tenant. Read from the directory items
// (LOGIN#, T#<t>/U#, TENANTS), never by scanning a table.
import { sharedOwnerOf } from './acl-paths.js';
import type { StoreContext } from './context.js';
import { normalizeLogin } from './directory.js';
import { MailStoreError } from './errors.js';
import type { TenantId, UserId } from './ids.js';
import { keys } from './keys.js';
import { queryAll } from './query-all.js';

export type UserScope = { user: string } | { tenant: string } | { all: true };

export interface ScopedUser {
  tenantId: TenantId;
  userId: UserId;
  login: string;
  /** The tenant's pseudo-owner of its public "Shared/" mailboxes (acl-paths.ts): no login, no INBOX. */
  sharedOwner?: boolean;
}

export async function* usersInScope(ctx: StoreContext, scope: UserScope): AsyncGenerator<ScopedUser> {
  if ('user' in scope) {
    const login = normalizeLogin(scope.user);
    const item = await ctx.kv.get('mail', keys.login(login), { consistent: true });
    if (!item) throw new MailStoreError('NONEXISTENT', `No user ${login}`);
    yield { tenantId: item.tenantId as TenantId, userId: item.userId as UserId, login };
    return;
  }
  const tenants = 'tenant' in scope ? [scope.tenant] : (await queryAll(ctx, 'TENANTS', 'T#')).map((i) => i.sk.slice(2));
  for (const tenantId of tenants) {
    if ('tenant' in scope && !(await ctx.kv.get('mail', keys.tenant(tenantId as TenantId), { consistent: true }))) {
      throw new MailStoreError('NONEXISTENT', `No tenant ${tenantId}`);
    }
    for (const ref of await queryAll(ctx, `T#${tenantId}`, 'U#')) {
      yield { tenantId: tenantId as TenantId, userId: ref.sk.slice(2) as UserId, login: (ref.login as string | undefined) ?? '' };
    }
    const shared = sharedOwnerOf(tenantId);
    if (await ctx.kv.get('mail', keys.user(shared), { consistent: true })) {
      yield { tenantId: tenantId as TenantId, userId: shared, login: `Shared (tenant ${tenantId})`, sharedOwner: true };
    }
  }
}
