// PASS (RFC 1939 §7): only right after a successful USER; the password is the rest of the line, spaces included.
import type { CommandSpec } from '../context.js';
import { plaintextAllowed } from '../context.js';
import { fail } from '../responses.js';
import { checkCredentials, enterTransaction } from '../sign-in.js';

export const pass: CommandSpec = {
  states: ['authorization'],
  async run(command, ctx) {
    const login = ctx.state.pendingUser;
    ctx.state.pendingUser = undefined; // a failed PASS needs a new USER
    if (!plaintextAllowed(ctx)) throw fail('Plaintext authentication is disallowed on this connection', 'AUTH');
    if (login === undefined) throw fail('Send USER first');
    if (command.rest === '') throw fail('PASS takes one argument');
    const session = await checkCredentials(ctx, () => ctx.deps.store.login(login, command.rest));
    await enterTransaction(ctx, session);
  },
};
