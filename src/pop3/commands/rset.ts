// RSET (RFC 1939 §5): unmarks every message marked deleted in this session.
import type { CommandSpec } from '../context.js';
import { transactionOf } from '../context.js';
import { fail } from '../responses.js';

export const rset: CommandSpec = {
  states: ['transaction'],
  async run(command, ctx) {
    if (command.args.length > 0) throw fail('RSET takes no arguments');
    const { maildrop } = transactionOf(ctx);
    maildrop.rset();
    const { count, octets } = maildrop.stat();
    await ctx.out.ok(`Maildrop has ${count} messages (${octets} octets)`);
  },
};
