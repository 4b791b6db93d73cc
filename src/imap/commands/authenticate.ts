// AUTHENTICATE (RFC 9051 §6.2.2) with the SASL mechanisms PLAIN (RFC 4616), LOGIN (draft-murchison-sasl-login),
// SCRAM-SHA-256 (RFC 5802, RFC 7677) and OAUTHBEARER (RFC 7628); the initial response may come on the command line
// (SASL-IR, RFC 4959) or after an empty continuation. Every client response is strict base64; "*" cancels and
// invalid base64 is refused, both with BAD. Credentials are checked by the store (auth.login, auth.scramStart /
// auth.scramFinish, auth.oauth); failures go through sign-in.ts's shared policy (delay, count, throttle).
import type { AuthenticateCommand } from '../command.js';
import { parseSaslPlain, SaslPlainError } from '../../auth/sasl-plain.js';
import { decodeSaslBase64, encodeSaslBase64 } from '../../auth/sasl-base64.js';
import { OAuthBearerError, parseOAuthBearer } from '../../auth/oauth-bearer.js';
import type { CommandContext, Completion, Handler } from '../session/context.js';
import { authFailure, checkCredentials, enterSession, plaintextAllowed, signIn } from '../session/sign-in.js';
import { bad, ImapFailure, no } from '../response-codes.js';

/** The client's response to a challenge (`+ <base64>`), decoded. */
async function respond(ctx: CommandContext, challenge: string): Promise<Buffer> {
  ctx.reader.expectRawLine();
  await ctx.out.continuation(challenge === '' ? '' : encodeSaslBase64(challenge));
  const event = await ctx.reader.next();
  if (event.kind !== 'line') throw bad('Authentication exchange interrupted');
  return decode(event.text.trim());
}

function decode(text: string): Buffer {
  if (text === '*') throw bad('Authentication cancelled');
  const bytes = decodeSaslBase64(text);
  if (bytes === undefined) throw bad('Invalid base64 in authentication response');
  return bytes;
}

/** RFC 4422 §5: a mechanism that starts with the client takes the initial response, or asks with an empty challenge. */
function firstResponse(ctx: CommandContext, command: AuthenticateCommand): Promise<Buffer> {
  return command.initialResponse === undefined ? respond(ctx, '') : Promise.resolve(decode(command.initialResponse));
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
function text(bytes: Buffer): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

function requirePlaintext(ctx: CommandContext): void {
  if (!plaintextAllowed(ctx)) throw no('PRIVACYREQUIRED', 'Plaintext authentication is disabled on this connection');
}

async function plain(ctx: CommandContext, command: AuthenticateCommand): Promise<Completion> {
  requirePlaintext(ctx);
  const message = await firstResponse(ctx, command);
  let credentials;
  try {
    credentials = parseSaslPlain(message);
  } catch (err) {
    if (err instanceof SaslPlainError) throw bad('Malformed PLAIN response');
    throw err;
  }
  // Acting as someone else (authzid) would need proxy rights, which do not exist here.
  if (credentials.authzid !== undefined && credentials.authzid.toLowerCase() !== credentials.authcid.toLowerCase()) {
    throw no('AUTHORIZATIONFAILED', 'Not allowed to act as another user');
  }
  return signIn(ctx, credentials.authcid, credentials.password);
}

/** LOGIN: the server asks "Username:" then "Password:"; no initial response is defined, SASL-IR's is the username. */
async function login(ctx: CommandContext, command: AuthenticateCommand): Promise<Completion> {
  requirePlaintext(ctx);
  const user = text(command.initialResponse === undefined ? await respond(ctx, 'Username:') : decode(command.initialResponse));
  const password = text(await respond(ctx, 'Password:'));
  if (user === undefined || password === undefined) throw bad('Malformed LOGIN response');
  return signIn(ctx, user, password);
}

/**
 * SCRAM-SHA-256 as two stateless store calls. The server-final-message ("v=…") goes out as a last challenge, since
 * IMAP's tagged OK carries no SASL data (RFC 9051 §6.2.2); the client answers it with an empty response.
 */
async function scram(ctx: CommandContext, command: AuthenticateCommand): Promise<Completion> {
  const clientFirst = text(await firstResponse(ctx, command));
  if (clientFirst === undefined || clientFirst === '') throw await authFailure(ctx);
  const user = /^[ny],(?:a=[^,]*)?,n=([^,]*),/.exec(clientFirst)?.[1]?.replace(/=2C/g, ',').replace(/=3D/g, '=');
  const start = await checkCredentials(ctx, undefined, async () => ({
    ...(await ctx.deps.store.call('auth.scramStart', { clientFirst })),
    login: user ?? '',
  }));
  const clientFinal = text(await respond(ctx, start.serverFirst));
  if (clientFinal === undefined || clientFinal === '') throw await authFailure(ctx);
  const session = await checkCredentials(ctx, user, () => ctx.deps.store.call('auth.scramFinish', { state: start.state, clientFinal }));
  const ack = await respond(ctx, session.serverFinal);
  if (ack.length !== 0) throw bad('Expected an empty response to the server-final-message');
  return enterSession(ctx, session);
}

/**
 * OAUTHBEARER: one message with the bearer token. A refused token is answered with the RFC 7628 §3.2.2 JSON error as
 * a challenge; the client's dummy response ("\x01") then gets the NO (§3.2.3), its "*" a BAD.
 */
async function oauthBearer(ctx: CommandContext, command: AuthenticateCommand): Promise<Completion> {
  if (!ctx.deps.oauth) throw no('CANNOT', 'Unsupported authentication mechanism');
  requirePlaintext(ctx);
  const message = text(await firstResponse(ctx, command));
  let request;
  try {
    request = parseOAuthBearer(message ?? '');
  } catch (err) {
    if (err instanceof OAuthBearerError) throw await authFailure(ctx);
    throw err;
  }
  try {
    const session = await checkCredentials(ctx, request.authzid, () =>
      ctx.deps.store.call('auth.oauth', { token: request.token, ...(request.authzid !== undefined ? { authzid: request.authzid } : {}) }),
    );
    return enterSession(ctx, session);
  } catch (err) {
    if (!(err instanceof ImapFailure) || err.status !== 'NO') throw err;
    await respond(ctx, JSON.stringify({ status: 'invalid_token' }));
    throw err;
  }
}

const MECHANISMS: Record<string, (ctx: CommandContext, command: AuthenticateCommand) => Promise<Completion>> = {
  PLAIN: plain,
  LOGIN: login,
  'SCRAM-SHA-256': scram,
  OAUTHBEARER: oauthBearer,
};

export const authenticate: Handler<AuthenticateCommand> = async (command, ctx) => {
  const mechanism = Object.hasOwn(MECHANISMS, command.mechanism) ? MECHANISMS[command.mechanism] : undefined;
  if (!mechanism) throw no('CANNOT', 'Unsupported authentication mechanism');
  return mechanism(ctx, command);
};
