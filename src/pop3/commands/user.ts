// USER (RFC 1939 §7): names the mailbox for PASS. Always +OK for a name, so the answer does not reveal whether the
// user exists; refused where cleartext passwords are not allowed.
import type { CommandSpec } from '../context.js';
import { plaintextAllowed } from '../context.js';
import { fail } from '../responses.js';

export const user: CommandSpec = {
  states: ['authorization'],
  async run(command, ctx) {
    if (!plaintextAllowed(ctx)) throw fail('Plaintext authentication is disallowed on this connection', 'AUTH');
    if (command.args.length !== 1) throw fail('USER takes one argument');
    ctx.state.pendingUser = command.args[0];
    await ctx.out.ok('Send PASS');
  },
};
