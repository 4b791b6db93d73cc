// UIDL [msg] (RFC 1939 §7): unique-ids "<UIDVALIDITY>.<UID>" of INBOX, the same in every session.
import type { CommandSpec } from '../context.js';
import { transactionOf } from '../context.js';
import { parseMessageNumber } from '../parser.js';
import { fail } from '../responses.js';

export const uidl: CommandSpec = {
  states: ['transaction'],
  async run(command, ctx) {
    const { maildrop } = transactionOf(ctx);
    if (command.args.length > 1) throw fail('UIDL takes at most one argument');
    if (command.args.length === 1) {
      const message = maildrop.get(parseMessageNumber(command.args[0]));
      await ctx.out.ok(`${message.number} ${maildrop.uniqueId(message)}`);
      return;
    }
    await ctx.out.multiline('Unique-id listing follows', maildrop.live().map((m) => `${m.number} ${maildrop.uniqueId(m)}`));
  },
};
