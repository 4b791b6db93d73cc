// CAPA (RFC 2449 §5), in both states.
import { capabilities } from '../capabilities.js';
import type { CommandSpec } from '../context.js';
import { plaintextAllowed } from '../context.js';
import { fail } from '../responses.js';

export const capa: CommandSpec = {
  states: ['authorization', 'transaction'],
  async run(command, ctx) {
    if (command.args.length > 0) throw fail('CAPA takes no arguments');
    await ctx.out.multiline('Capability list follows', capabilities({
        plaintextAllowed: plaintextAllowed(ctx),
        stls: ctx.startTls !== undefined && ctx.state.phase === 'authorization',
      }));
  },
};
