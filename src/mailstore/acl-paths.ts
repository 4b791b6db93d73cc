// Namespaces (RFC 2342): the personal namespace "" (the caller's own mailboxes), other users' namespace
// "Other Users/<login>/<path>" (another user's mailbox, reachable only with ACL rights) and the tenant-wide public
// namespace "Shared/<path>" (mailboxes of the tenant's pseudo-owner). A login is looked up only inside the caller's
// tenant, so no path can name another tenant's user.
import type { Caller, StoreContext } from './context.js';
import { MailStoreError } from './errors.js';
import type { TenantId, UserId } from './ids.js';
import { DELIMITER, normalizePath } from './names.js';
import { loginInTenant } from './tenants.js';

export const OTHER_USERS = 'Other Users';
export const SHARED = 'Shared';

/** The owner of a tenant's public mailboxes: a user item with no login (it can never sign in). */
export const sharedOwnerOf = (tenantId: TenantId | string): UserId => `SHARED.${tenantId}` as UserId;

export interface NamespacePath {
  owner: UserId;
  /** The path in the owner's own tree. */
  ownerPath: string;
  /** What the caller puts before `ownerPath`: "" (personal), "Other Users/<login>/" or "Shared/". */
  prefix: string;
  namespace: 'personal' | 'other' | 'shared';
}

/** Splits a caller's mailbox name into owner and owner's path; NONEXISTENT for a namespace root or unknown login. */
export async function namespacePath(ctx: StoreContext, caller: Caller, rawPath: string): Promise<NamespacePath> {
  const path = normalizePath(rawPath);
  const parts = path.split(DELIMITER);
  if (parts[0] === OTHER_USERS) {
    if (parts.length < 3) throw new MailStoreError('NONEXISTENT', `Not a mailbox: ${path}`);
    let owner: UserId;
    let login: string;
    try {
      const item = await loginInTenant(ctx, caller.tenantId, parts[1]!);
      owner = item.userId as UserId;
      login = item.pk.slice('LOGIN#'.length);
    } catch (err) {
      if (err instanceof MailStoreError) throw new MailStoreError('NONEXISTENT', `Mailbox doesn't exist: ${path}`);
      throw err;
    }
    const ownerPath = normalizePath(parts.slice(2).join(DELIMITER));
    return { owner, ownerPath, prefix: `${OTHER_USERS}${DELIMITER}${login}${DELIMITER}`, namespace: 'other' };
  }
  if (parts[0] === SHARED) {
    if (parts.length < 2) throw new MailStoreError('NONEXISTENT', `Not a mailbox: ${path}`);
    const ownerPath = normalizePath(parts.slice(1).join(DELIMITER));
    return { owner: sharedOwnerOf(caller.tenantId), ownerPath, prefix: `${SHARED}${DELIMITER}`, namespace: 'shared' };
  }
  return { owner: caller.userId, ownerPath: path, prefix: '', namespace: 'personal' };
}

/** The caller acting as the owner of a mailbox tree (for the name items of that tree); rights are checked apart. */
export function asOwner(caller: Caller, owner: UserId): Caller {
  return owner === caller.userId ? caller : { ...caller, userId: owner };
}
