// AUTH (RFC 5034): SASL PLAIN (RFC 4616) and SCRAM-SHA-256 (RFC 5802, RFC 7677), with or without an initial
// response; "*" cancels. SCRAM runs as two stateless store calls; because POP3 cannot carry data with +OK
// (RFC 5034 §4), the server-final-message goes out as a last challenge and the client answers it with an empty line.
// "AUTH" alone lists the mechanisms (the pre-RFC 5034 form some clients still probe with).
import { decodeSaslPlain, SaslPlainError } from '../../auth/sasl-plain.js';
import type { CommandContext, CommandSpec } from '../context.js';
import { plaintextAllowed } from '../context.js';
import { decodeSaslResponse } from '../parser.js';
import { fail } from '../responses.js';
import { authFailure, checkCredentials, enterTransaction } from '../sign-in.js';

export const SASL_MECHANISMS = [
  { name: 'PLAIN', plaintext: true },
  { name: 'SCRAM-SHA-256', plaintext: false },
] as const;

/** The next client response of the exchange, decoded; "*" cancels. */
async function readResponse(ctx: CommandContext): Promise<string> {
  const event = await ctx.reader.next();
  if (event.kind === 'end') throw fail('Authentication exchange interrupted');
  if (event.kind === 'too-long') throw fail('Authentication response too long');
  return decodeOrCancel(event.text.trim());
}

function decodeOrCancel(text: string): string {
  if (text === '*') throw fail('Authentication cancelled');
  const bytes = decodeSaslResponse(text);
  if (bytes === undefined) throw fail('Invalid base64 in authentication response');
  return bytes.toString('utf8');
}

async function firstResponse(ctx: CommandContext, initial: string | undefined): Promise<string> {
  if (initial !== undefined) return decodeOrCancel(initial);
  await ctx.out.challenge('');
  return readResponse(ctx);
}

async function plain(ctx: CommandContext, initial: string | undefined): Promise<void> {
  if (!plaintextAllowed(ctx)) throw fail('Plaintext authentication is disallowed on this connection', 'AUTH');
  const message = await firstResponse(ctx, initial);
  let credentials;
  try {
    credentials = decodeSaslPlain(Buffer.from(message, 'utf8').toString('base64'));
  } catch (err) {
    if (err instanceof SaslPlainError) throw await authFailure(ctx, 'Malformed PLAIN response');
    throw err;
  }
  if (credentials.authzid !== undefined && credentials.authzid.toLowerCase() !== credentials.authcid.toLowerCase()) {
    throw await authFailure(ctx, 'Not allowed to act as another user');
  }
  const session = await checkCredentials(ctx, () => ctx.deps.store.login(credentials.authcid, credentials.password));
  await enterTransaction(ctx, session);
}

async function scram(ctx: CommandContext, initial: string | undefined): Promise<void> {
  const clientFirst = await firstResponse(ctx, initial);
  if (clientFirst === '') throw await authFailure(ctx);
  const start = await checkCredentials(ctx, () => ctx.deps.store.call('auth.scramStart', { clientFirst }));
  await ctx.out.challenge(start.serverFirst);
  const clientFinal = await readResponse(ctx);
  if (clientFinal === '') throw await authFailure(ctx);
  const session = await checkCredentials(ctx, () => ctx.deps.store.call('auth.scramFinish', { state: start.state, clientFinal }));
  await ctx.out.challenge(session.serverFinal);
  const ack = await readResponse(ctx);
  if (ack !== '') throw fail('Expected an empty response to the server-final-message');
  await enterTransaction(ctx, session);
}

export const auth: CommandSpec = {
  states: ['authorization'],
  async run(command, ctx) {
    if (command.args.length === 0) {
      const names = SASL_MECHANISMS.filter((m) => plaintextAllowed(ctx) || !m.plaintext).map((m) => m.name);
      await ctx.out.multiline('Mechanisms follow', names);
      return;
    }
    if (command.args.length > 2) throw fail('AUTH takes a mechanism and an optional initial response');
    const [mechanism, initial] = [command.args[0]!.toUpperCase(), command.args[1]];
    ctx.state.pendingUser = undefined;
    if (mechanism === 'PLAIN') await plain(ctx, initial);
    else if (mechanism === 'SCRAM-SHA-256') await scram(ctx, initial);
    else throw fail('Unsupported authentication mechanism');
  },
};
