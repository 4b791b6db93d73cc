// The `stratus` CLI's tenant commands (issue 4): the same mail-store code paths as the admin REST API, for an
// operator at a shell. `tenant add|list|delete`, `domain add`, `user quota`, `token add` (printed once).
import type { StoreContext } from '../mailstore/context.js';
import { MailStoreError } from '../mailstore/errors.js';
import type { TenantId, UserId } from '../mailstore/ids.js';
import { keys } from '../mailstore/keys.js';
import { normalizeLogin } from '../mailstore/directory.js';
import { addDomain, createAdminToken, createTenant, deleteTenant, listTenants, setUserQuota, type QuotaChange } from '../mailstore/tenants.js';

export const TENANT_USAGE = `  stratus tenant add <name>                       create a tenant (prints its id)
  stratus tenant list                             list tenants
  stratus tenant delete <tenant-id>               delete a tenant without users or shared mailboxes
  stratus domain add <tenant-id> <domain>         add a mail domain to a tenant
  stratus user quota <login> [--storage-kib N] [--messages N] [--mailboxes N]
                                                  set a user's quota ("unlimited" lifts a limit)
  stratus token add --tenant <tenant-id> [--name <name>]
                                                  create a tenant-scoped admin token (printed once)`;

export const TENANT_OPTIONS = {
  'storage-kib': { type: 'string' },
  messages: { type: 'string' },
  mailboxes: { type: 'string' },
  tenant: { type: 'string' },
  name: { type: 'string' },
} as const;

export interface TenantValues {
  'storage-kib'?: string;
  messages?: string;
  mailboxes?: string;
  tenant?: string;
  name?: string;
}

/** A limit from the command line: a whole number ≥ 0, or "unlimited" (null). */
function limit(raw: string | undefined, what: string): number | null | undefined {
  if (raw === undefined) return undefined;
  if (raw === 'unlimited') return null;
  if (!/^\d{1,15}$/.test(raw)) throw new MailStoreError('BADREQUEST', `--${what} must be a whole number or "unlimited"`);
  return Number(raw);
}

/** Runs one tenant command; returns the exit status, or undefined when `command` is not one of them. */
export async function runTenantCommand(
  ctx: StoreContext,
  args: string[],
  values: TenantValues,
  out: (text: string) => void,
): Promise<number | undefined> {
  const [command, sub, a, b] = args;
  if (command === 'tenant' && sub === 'add' && a) {
    const tenant = await createTenant(ctx, a);
    out(`${tenant.tenantId}\t${tenant.name}\n`);
    return 0;
  }
  if (command === 'tenant' && sub === 'list') {
    let cursor: string | undefined;
    do {
      const page = await listTenants(ctx, 100, cursor);
      for (const t of page.items) out(`${t.tenantId}\t${t.name}\t${t.status}\t${t.userCount} users\n`);
      cursor = page.cursor;
    } while (cursor);
    return 0;
  }
  if (command === 'tenant' && sub === 'delete' && a) {
    await deleteTenant(ctx, a as TenantId);
    out(`deleted tenant ${a}\n`);
    return 0;
  }
  if (command === 'domain' && sub === 'add' && a && b) {
    const { domain } = await addDomain(ctx, a as TenantId, b);
    out(`added ${domain} to tenant ${a}\n`);
    return 0;
  }
  if (command === 'user' && sub === 'quota' && a) {
    const item = await ctx.kv.get('mail', keys.login(normalizeLogin(a)), { consistent: true });
    if (!item) throw new MailStoreError('NONEXISTENT', `No such user: ${a}`);
    const kib = limit(values['storage-kib'], 'storage-kib');
    const change: QuotaChange = {
      bytes: kib === undefined || kib === null ? kib : kib * 1024,
      messages: limit(values.messages, 'messages'),
      mailboxes: limit(values.mailboxes, 'mailboxes'),
    };
    await setUserQuota(ctx, item.tenantId as TenantId, item.userId as UserId, change);
    out(`quota set for ${normalizeLogin(a)}\n`);
    return 0;
  }
  if (command === 'token' && sub === 'add' && values.tenant) {
    const token = await createAdminToken(ctx, values.tenant as TenantId, values.name ?? 'cli');
    out(`${token.token}\n`);
    return 0;
  }
  return undefined;
}
