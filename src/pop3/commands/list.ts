// LIST [msg] (RFC 1939 §5): sizes in octets of one message, or of every message not marked deleted.
import type { CommandSpec } from '../context.js';
import { transactionOf } from '../context.js';
import { parseMessageNumber } from '../parser.js';
import { fail } from '../responses.js';

export const list: CommandSpec = {
  states: ['transaction'],
  async run(command, ctx) {
    const { maildrop } = transactionOf(ctx);
    if (command.args.length > 1) throw fail('LIST takes at most one argument');
    if (command.args.length === 1) {
      const message = maildrop.get(parseMessageNumber(command.args[0]));
      await ctx.out.ok(`${message.number} ${message.size}`);
      return;
    }
    const { count, octets } = maildrop.stat();
    await ctx.out.multiline(`${count} messages (${octets} octets)`, maildrop.live().map((m) => `${m.number} ${m.size}`));
  },
};
