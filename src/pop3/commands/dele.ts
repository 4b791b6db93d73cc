// DELE msg (RFC 1939 §5): a mark kept in the session only; nothing changes in the store until QUIT.
import type { CommandSpec } from '../context.js';
import { transactionOf } from '../context.js';
import { parseMessageNumber } from '../parser.js';
import { fail } from '../responses.js';

export const dele: CommandSpec = {
  states: ['transaction'],
  async run(command, ctx) {
    if (command.args.length !== 1) throw fail('DELE takes one argument');
    const message = transactionOf(ctx).maildrop.dele(parseMessageNumber(command.args[0]));
    await ctx.out.ok(`Message ${message.number} deleted`);
  },
};
