// SASL OAUTHBEARER sign-in (RFC 7628) as one stateless operation (auth.oauth): the bearer token is verified against
// the configured issuer and JWKS (src/auth/oauth-jwt.ts), its user must be an active login of the directory, and
// success issues the same session token as auth.login, so IMAP and POP3 share it.
import { OAuthTokenError } from '../auth/oauth-jwt.js';
import type { ResponseOf } from './api.js';
import type { StoreContext } from './context.js';
import { MailStoreError } from './errors.js';
import { activeLogin, sessionFor } from './scram-login.js';

const failed = (): MailStoreError => new MailStoreError('AUTHENTICATIONFAILED', 'Authentication failed');

export async function oauthLogin(ctx: StoreContext, token: string, authzid: string | undefined): Promise<ResponseOf<'auth.oauth'>> {
  if (!ctx.oauth) throw new MailStoreError('CANNOT', 'OAuth sign-in is not configured');
  let identity: string;
  try {
    identity = await ctx.oauth.identity(token);
  } catch (err) {
    if (err instanceof OAuthTokenError) throw failed();
    // The issuer's keys could not be fetched: not the client's fault, and not a reason to let anyone in.
    throw new MailStoreError('UNAVAILABLE', 'OAuth keys unavailable');
  }
  const found = await activeLogin(ctx, identity);
  if (!found) throw failed();
  // Acting as another user (authzid) would need proxy rights, which do not exist.
  if (authzid !== undefined && authzid.trim().toLowerCase() !== found.login) throw failed();
  return sessionFor(ctx, found.login, found.item);
}
