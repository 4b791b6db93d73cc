// SASL SCRAM-SHA-256 sign-in as two stateless operations (auth.scramStart / auth.scramFinish): the exchange state
// travels through the frontend signed (src/auth/scram-stateless.ts), the stored secret never leaves the functions,
// and success issues the same session token as auth.login.
import type { ScramSecret } from '../auth/scram.js';
import { ScramError } from '../auth/scram-error.js';
import { finishStatelessScram, startStatelessScram } from '../auth/scram-stateless.js';
import { issueToken } from '../auth/token.js';
import type { ResponseOf } from './api.js';
import type { StoreContext } from './context.js';
import { normalizeLogin, SESSION_SECONDS } from './directory.js';
import { MailStoreError } from './errors.js';
import { newId } from './ids.js';
import { keys } from './keys.js';
import type { KvItem } from '../storage/kv.js';

const failed = (): MailStoreError => new MailStoreError('AUTHENTICATIONFAILED', 'Authentication failed');

/** The login item of an active user, or undefined (unknown, disabled, or not an address at all). */
export async function activeLogin(ctx: StoreContext, username: string) {
  let login: string;
  try {
    login = normalizeLogin(username);
  } catch {
    return undefined;
  }
  const item = await ctx.kv.get('mail', keys.login(login), { consistent: true });
  if (!item || item.status !== 'active' || !item.secret) return undefined;
  return { login, item, secret: item.secret as unknown as ScramSecret };
}

const lookup = (ctx: StoreContext) => async (username: string) => (await activeLogin(ctx, username))?.secret;

export async function scramStart(ctx: StoreContext, clientFirst: string): Promise<ResponseOf<'auth.scramStart'>> {
  try {
    const start = await startStatelessScram(ctx.tokenKey, clientFirst, lookup(ctx));
    return { serverFirst: start.serverFirst, state: start.state };
  } catch (err) {
    if (err instanceof ScramError) throw new MailStoreError('BADREQUEST', `SCRAM: ${err.code}`);
    throw err;
  }
}

export async function scramFinish(ctx: StoreContext, state: string, clientFinal: string): Promise<ResponseOf<'auth.scramFinish'>> {
  let success;
  try {
    success = await finishStatelessScram(ctx.tokenKey, state, clientFinal, lookup(ctx));
  } catch (err) {
    if (err instanceof ScramError) throw failed();
    throw err;
  }
  const found = await activeLogin(ctx, success.username);
  if (!found) throw failed();
  // Acting as another user (authzid) would need proxy rights, which do not exist.
  if (success.authzid !== undefined && success.authzid.toLowerCase() !== found.login) throw failed();
  return { ...sessionFor(ctx, found.login, found.item), serverFinal: success.serverFinal };
}

/** A new session token for an active login, as auth.login issues it (shared by the SASL sign-ins). */
export function sessionFor(ctx: StoreContext, login: string, item: KvItem): { token: string; login: string; userId: string; tenantId: string } {
  const claims = {
    tenantId: item.tenantId as string,
    userId: item.userId as string,
    login,
    sessionId: newId(),
    expiresAt: Math.floor(Date.now() / 1000) + SESSION_SECONDS,
  };
  return { token: issueToken(ctx.tokenKey, claims), login, userId: claims.userId, tenantId: claims.tenantId };
}
