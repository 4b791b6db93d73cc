// The one check the fault tests and the soak add to `stratus fsck` (src/mailstore/fsck.ts, which checks the storage
// invariants): in a mailbox that only APPEND or MOVE fills, one emailId twice means a write was applied twice — an
// APPEND or MOVE retried after its reply was lost. Not an invariant of the store (COPY may copy a message twice),
// so it is not fsck's to report.
import type { StoreContext } from '../../src/mailstore/context.js';
import type { UserId } from '../../src/mailstore/ids.js';
import { keys } from '../../src/mailstore/keys.js';
import { queryAll } from '../../src/mailstore/query-all.js';
import { normalizeLogin } from '../../src/mailstore/directory.js';

/** "<path>: emailId … appears twice" for each repeat in the named mailboxes of the user (missing ones are skipped). */
export async function appliedOnce(ctx: StoreContext, scope: { user: string }, paths: string[]): Promise<string[]> {
  const login = await ctx.kv.get('mail', keys.login(normalizeLogin(scope.user)), { consistent: true });
  if (!login) return [`${scope.user}: no such user`];
  const repeats: string[] = [];
  for (const path of paths) {
    const name = await ctx.kv.get('mail', keys.mailboxName(login.userId as UserId, path), { consistent: true });
    if (!name) continue;
    const seen = new Set<string>();
    for (const item of await queryAll(ctx, `M#${String(name.mailboxId)}`, 'U#')) {
      const e = item.e as string;
      if (seen.has(e)) repeats.push(`${scope.user} ${path}: emailId ${e} appears twice (a write applied twice)`);
      seen.add(e);
    }
  }
  return repeats;
}
