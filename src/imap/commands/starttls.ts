// STARTTLS (RFC 9051 §6.2.1, RFC 3501 §6.2.1): the tagged OK goes out in plaintext, then the connection runs the TLS
// handshake (connection.ts startTls) and continues on the secure socket with a fresh reader. The client must ask
// for CAPABILITY again; LOGINDISABLED lifts once the connection is secure.
import type { StartTlsCommand } from '../command.js';
import type { Handler } from '../session/context.js';
import { done } from '../session/context.js';
import { bad } from '../response-codes.js';

export const starttls: Handler<StartTlsCommand> = async (_command, ctx) => {
  if (ctx.deps.secure) throw bad('TLS is already active');
  if (!ctx.startTls) throw bad('STARTTLS is not available on this connection');
  ctx.startTls();
  return done('Begin TLS negotiation now');
};
