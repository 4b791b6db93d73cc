// The shared end of PASS and AUTH: a failed check waits and answers -ERR [AUTH]; a good one takes the maildrop lease
// (or answers -ERR [IN-USE], RFC 2449 §8.1.2), opens INBOX and enters the TRANSACTION state.
import { MailStoreError } from '../mailstore/errors.js';
import type { CommandContext } from './context.js';
import { Maildrop } from './maildrop.js';
import { fail, type Pop3Failure } from './responses.js';

export const MAILDROP = 'INBOX';
export const DEFAULT_LEASE_SECONDS = 60;

/** Waits the configured delay, then returns the failure to throw. */
export async function authFailure(ctx: CommandContext, text = 'Authentication failed'): Promise<Pop3Failure> {
  await new Promise((resolve) => setTimeout(resolve, ctx.deps.authFailureDelayMs));
  return fail(text, 'AUTH');
}

/** Runs a store sign-in call; a credentials failure becomes the delayed -ERR [AUTH]. */
export async function checkCredentials<T>(ctx: CommandContext, signIn: () => Promise<T>): Promise<T> {
  const guard = ctx.deps.signInGuard;
  if (guard?.refused()) {
    await authFailure(ctx);
    throw fail('Too many failed logins from your address, try again later', 'SYS/TEMP');
  }
  const penalty = guard?.penaltyMs() ?? 0;
  if (penalty > 0) await new Promise((resolve) => setTimeout(resolve, penalty));
  try {
    return await signIn();
  } catch (err) {
    if (err instanceof MailStoreError && (err.code === 'AUTHENTICATIONFAILED' || err.code === 'BADREQUEST')) {
      guard?.failed();
      throw await authFailure(ctx);
    }
    throw err;
  }
}

export async function enterTransaction(ctx: CommandContext, session: { token: string; login: string }): Promise<void> {
  const { store } = ctx.deps;
  // Sessions per user across IMAP and POP3 (issue 9 item 6); RFC 2449 §8.1.1 IN-USE: authenticated, but not now.
  if (ctx.deps.signInGuard && !ctx.deps.signInGuard.admit(session.login)) {
    throw fail('Maximum number of connections for this user exceeded', 'IN-USE');
  }
  const ttlSeconds = ctx.deps.leaseSeconds ?? DEFAULT_LEASE_SECONDS;
  const lease = await store.call('mailbox.lease', { token: session.token, path: MAILDROP, ttlSeconds });
  if (!lease.acquired) throw fail('Maildrop is in use by another POP3 session', 'IN-USE');
  ctx.lease.keep(session.token);
  let opened;
  try {
    opened = await store.call('mailbox.open', { token: session.token, path: MAILDROP });
  } catch (err) {
    await ctx.lease.release();
    throw err;
  }
  const maildrop = new Maildrop(opened.status.mailboxId, opened.status.uidValidity, opened.blobPrefix, opened.messages);
  ctx.state.transaction = { token: session.token, login: session.login, maildrop };
  ctx.state.phase = 'transaction';
  ctx.state.pendingUser = undefined;
  ctx.deps.logger.info({ login: session.login, protocol: 'pop3' }, 'authenticated');
  const { count, octets } = maildrop.stat();
  await ctx.out.ok(`Logged in, maildrop has ${count} messages (${octets} octets)`);
}
