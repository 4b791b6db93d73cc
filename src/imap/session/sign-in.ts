// The shared end of LOGIN and AUTHENTICATE: refuse plaintext where it is not allowed, ask the store, slow down and
// count failures, and enter the authenticated state with the store's session token.
import { MailStoreError } from '../../mailstore/errors.js';
import { no, type ImapFailure } from '../response-codes.js';
import { failedLoginDelayMs } from '../../auth/password-delay.js';
import { capabilities } from '../capabilities.js';
import { idleAvailable, notifyAvailable } from '../connection.js';
import type { CommandContext, Completion } from './context.js';
import { MetaCache } from './meta-cache.js';

export function plaintextAllowed(ctx: CommandContext): boolean {
  return ctx.deps.secure || ctx.deps.allowPlaintextAuth;
}

export async function signIn(ctx: CommandContext, login: string, password: string): Promise<Completion> {
  // RFC 3501 §6.2.3 / RFC 5530 PRIVACYREQUIRED: never take a password over an unprotected channel.
  if (!plaintextAllowed(ctx)) throw no('PRIVACYREQUIRED', 'Plaintext authentication is disabled on this connection');
  return enterSession(ctx, await checkCredentials(ctx, login, () => ctx.deps.store.login(login, password)));
}

/**
 * One credential check with the failure policy every mechanism shares: an account with too many recent failures is
 * refused unchecked, one with a few is checked after a penalty (login-throttle.ts); a failure waits (longer with
 * each failure of this connection, password-delay.ts), is counted (the connection closes after too many) and
 * becomes NO [AUTHENTICATIONFAILED]. `login` is the account tried, when the mechanism names one up front.
 */
export async function checkCredentials<S extends { login: string }>(
  ctx: CommandContext,
  login: string | undefined,
  check: () => Promise<S>,
): Promise<S> {
  const throttle = login === undefined ? undefined : ctx.deps.loginThrottle;
  const guard = ctx.deps.signInGuard;
  if (guard?.refused()) throw await authFailure(ctx, no('UNAVAILABLE', 'Too many failed logins from your address, try again later'));
  if (login !== undefined && throttle?.blocked(login)) {
    throw await authFailure(ctx, no('UNAVAILABLE', 'Too many failed logins for this account, try again later'));
  }
  const penalty = Math.max(login === undefined ? 0 : (throttle?.penaltyMs(login) ?? 0), guard?.penaltyMs() ?? 0);
  if (penalty > 0) await new Promise((resolve) => setTimeout(resolve, penalty));
  try {
    const session = await check();
    throttle?.succeeded(session.login);
    return session;
  } catch (err) {
    if (err instanceof MailStoreError && (err.code === 'AUTHENTICATIONFAILED' || err.code === 'BADREQUEST')) {
      if (login !== undefined) throttle?.failed(login);
      guard?.failed();
      throw await authFailure(ctx);
    }
    throw err;
  }
}

/** Counts a failed authentication and waits before it is answered: the pause makes guessing slow and hides why. */
export async function authFailure(ctx: CommandContext, failure: ImapFailure = no('AUTHENTICATIONFAILED', 'Authentication failed')): Promise<ImapFailure> {
  ctx.state.authFailures++;
  await new Promise((resolve) => setTimeout(resolve, failedLoginDelayMs(ctx.state.authFailures, { baseMs: ctx.deps.authFailureDelayMs })));
  return failure;
}

/** Enters the authenticated state with the store's session token; the OK carries the new capabilities. */
export function enterSession(ctx: CommandContext, session: { token: string; login: string; userId?: string; tenantId?: string }): Completion {
  // Sessions per user (issue 9 item 6): the credentials were good, but this user has the maximum open already.
  if (ctx.deps.signInGuard && !ctx.deps.signInGuard.admit(session.login)) {
    throw no('UNAVAILABLE', 'Maximum number of connections for this user exceeded');
  }
  const token = session.token;
  const userId = session.userId === undefined ? {} : { userId: session.userId };
  const tenantId = session.tenantId === undefined ? {} : { tenantId: session.tenantId };
  ctx.state.signIn({ token, login: session.login, meta: new MetaCache(ctx.deps.store, () => token, session.userId ?? session.login), ...userId, ...tenantId });
  ctx.deps.logger.info({ login: session.login }, 'authenticated');
  // RFC 3501 §7.1 allows the capability list in the OK, saving the client a round trip (it changes after login).
  return { code: { code: 'CAPABILITY', capabilities: signedInCapabilities(ctx) }, text: 'Logged in' };
}

/** The list depends on three settings of the process, so it is built once per combination, not per login. */
const signedIn = new Map<string, readonly string[]>();

function signedInCapabilities(ctx: CommandContext): readonly string[] {
  const idle = idleAvailable(ctx.deps);
  const notify = notifyAvailable(ctx.deps);
  const appendLimit = ctx.deps.limits.maxMessageBytes;
  const key = `${+idle}${+notify} ${appendLimit}`;
  let caps = signedIn.get(key);
  if (caps === undefined) {
    caps = Object.freeze(capabilities({ authenticated: true, plaintextAuthAllowed: true, idle, notify, appendLimit }));
    signedIn.set(key, caps);
  }
  return caps;
}
