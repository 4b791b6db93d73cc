// STAT (RFC 1939 §5): count and octets of the messages not marked deleted.
import type { CommandSpec } from '../context.js';
import { transactionOf } from '../context.js';
import { fail } from '../responses.js';

export const stat: CommandSpec = {
  states: ['transaction'],
  async run(command, ctx) {
    if (command.args.length > 0) throw fail('STAT takes no arguments');
    const { count, octets } = transactionOf(ctx).maildrop.stat();
    await ctx.out.ok(`${count} ${octets}`);
  },
};
