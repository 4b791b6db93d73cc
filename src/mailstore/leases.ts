// Exclusive, expiring leases on a mailbox: the POP3 maildrop lock (RFC 1939 §8 "exclusive-access lock", answered
// with RFC 2449 [IN-USE] when held). One conditional put per acquire/refresh, one conditional delete per release;
// the holder is the session of the caller's token, so two logins of one user are different holders. A frontend
// that dies leaves a lease that simply expires.
import { ConditionFailedError } from '../storage/errors.js';
import type { ResponseOf } from './api.js';
import type { Caller, StoreContext } from './context.js';
import { keys } from './keys.js';
import { MailStoreError } from './errors.js';
import { resolvePath } from './mailboxes.js';

export async function leaseMailbox(
  ctx: StoreContext,
  caller: Caller,
  input: { path: string; ttlSeconds: number; release?: boolean },
): Promise<ResponseOf<'mailbox.lease'>> {
  // Only the owner leases a mailbox (the POP3 maildrop); a shared mailbox of another user (RFC 4314) is not leased.
  const { mailboxId, owner } = await resolvePath(ctx, caller, input.path);
  if (owner !== caller.userId) throw new MailStoreError('NONEXISTENT', 'Mailbox does not exist');
  const key = keys.mailboxLease(mailboxId);
  const mine = { op: 'eq', attr: 'holder', value: caller.session } as const;
  try {
    if (input.release) {
      await ctx.kv.delete('mail', key, { condition: mine });
      return { mailboxId, acquired: false, expiresAt: 0 };
    }
    const now = Date.now();
    const expiresAt = now + input.ttlSeconds * 1000;
    await ctx.kv.put('mail', { ...key, holder: caller.session, login: caller.login, expiresAt }, {
      condition: { op: 'or', conditions: [{ op: 'notExists', attr: 'pk' }, mine, { op: 'lt', attr: 'expiresAt', value: now }] },
    });
    return { mailboxId, acquired: true, expiresAt };
  } catch (err) {
    if (!(err instanceof ConditionFailedError)) throw err;
    return { mailboxId, acquired: false, expiresAt: 0 };
  }
}
