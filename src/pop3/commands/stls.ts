// STLS (RFC 2595 §4): only in the AUTHORIZATION state, only on a connection that is not TLS yet and where the
// server has a certificate and the policy offers it. After "+OK" the connection hands its socket to the TLS
// handshake (connection.ts); once secure, STLS is refused ("-ERR"), as it is after authentication.
import type { CommandSpec } from '../context.js';
import { fail } from '../responses.js';

export const stls: CommandSpec = {
  states: ['authorization'],
  async run(command, ctx) {
    if (command.args.length > 0) throw fail('STLS takes no arguments');
    const startTls = ctx.startTls;
    if (startTls === undefined) throw fail(ctx.deps.secure ? 'Already using TLS' : 'STLS is not available');
    await ctx.out.ok('Begin TLS negotiation');
    startTls();
  },
};
