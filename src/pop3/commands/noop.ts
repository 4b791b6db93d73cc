// NOOP (RFC 1939 §5).
import type { CommandSpec } from '../context.js';
import { fail } from '../responses.js';

export const noop: CommandSpec = {
  states: ['transaction'],
  async run(command, ctx) {
    if (command.args.length > 0) throw fail('NOOP takes no arguments');
    await ctx.out.ok('');
  },
};
