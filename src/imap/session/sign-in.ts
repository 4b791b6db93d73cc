// The shared end of LOGIN and AUTHENTICATE: refuse plaintext where it is not allowed, ask the store, slow down
// failures, and enter the authenticated state with the store's session token.
import { MailStoreError } from '../../mailstore/errors.js';
import { no } from '../response-codes.js';
import { capabilities } from '../capabilities.js';
import { idleAvailable } from '../connection.js';
import type { CommandContext, Completion } from './context.js';
import { MetaCache } from './meta-cache.js';

export function plaintextAllowed(ctx: CommandContext): boolean {
  return ctx.deps.secure || ctx.deps.allowPlaintextAuth;
}

export async function signIn(ctx: CommandContext, login: string, password: string): Promise<Completion> {
  // RFC 3501 §6.2.3 / RFC 5530 PRIVACYREQUIRED: never take a password over an unprotected channel.
  if (!plaintextAllowed(ctx)) throw no('PRIVACYREQUIRED', 'Plaintext authentication is disabled on this connection');
  let session;
  try {
    session = await ctx.deps.store.login(login, password);
  } catch (err) {
    if (err instanceof MailStoreError && (err.code === 'AUTHENTICATIONFAILED' || err.code === 'BADREQUEST')) {
      // A fixed pause makes guessing slow and hides whether the login exists.
      await new Promise((resolve) => setTimeout(resolve, ctx.deps.authFailureDelayMs));
      throw no('AUTHENTICATIONFAILED', 'Authentication failed');
    }
    throw err;
  }
  const token = session.token;
  ctx.state.signIn({ token, login: session.login, meta: new MetaCache(ctx.deps.store, () => token) });
  ctx.deps.logger.info({ login: session.login }, 'authenticated');
  // RFC 3501 §7.1 allows the capability list in the OK, saving the client a round trip (it changes after login).
  const caps = capabilities({ authenticated: true, plaintextAuthAllowed: true, idle: idleAvailable(ctx.deps) });
  return { code: { code: 'CAPABILITY', capabilities: caps }, text: 'Logged in' };
}
