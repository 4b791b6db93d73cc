// AUTHENTICATE PLAIN (RFC 3501 §6.2.2, RFC 4616), with the initial response on the command line (SASL-IR,
// RFC 4959) or after an empty continuation. "*" from the client cancels (BAD).
import type { AuthenticateCommand } from '../command.js';
import { decodeSaslPlain, SaslPlainError } from '../../auth/sasl-plain.js';
import type { Handler } from '../session/context.js';
import { signIn, plaintextAllowed } from '../session/sign-in.js';
import { bad, no } from '../response-codes.js';

export const authenticate: Handler<AuthenticateCommand> = async (command, ctx) => {
  if (command.mechanism !== 'PLAIN') throw no('CANNOT', 'Unsupported authentication mechanism');
  if (!plaintextAllowed(ctx)) throw no('PRIVACYREQUIRED', 'Plaintext authentication is disabled on this connection');
  let response = command.initialResponse;
  if (response === undefined) {
    ctx.reader.expectRawLine();
    await ctx.out.continuation('');
    const event = await ctx.reader.next();
    if (event.kind !== 'line') throw bad('Authentication exchange interrupted');
    response = event.text.trim();
  }
  if (response === '*') throw bad('Authentication cancelled');
  let credentials;
  try {
    credentials = decodeSaslPlain(response === '=' ? '' : response);
  } catch (err) {
    if (err instanceof SaslPlainError) throw bad('Malformed PLAIN response');
    throw err;
  }
  // Acting as someone else (authzid) would need proxy rights, which do not exist here.
  if (credentials.authzid !== undefined && credentials.authzid.toLowerCase() !== credentials.authcid.toLowerCase()) {
    throw no('AUTHORIZATIONFAILED', 'Not allowed to act as another user');
  }
  return signIn(ctx, credentials.authcid, credentials.password);
};
