// QUIT (RFC 1939 §6): in the TRANSACTION state it enters UPDATE and removes exactly the messages marked deleted:
// \Deleted is stored on their UIDs and then those UIDs (and no others) are expunged, through the same commit
// protocol as IMAP, so concurrent IMAP sessions see plain expunges. A connection that ends without QUIT never
// gets here and removes nothing. The lease is released either way.
import type { CommandSpec } from '../context.js';
import { fail } from '../responses.js';

export const quit: CommandSpec = {
  states: ['authorization', 'transaction'],
  async run(command, ctx) {
    if (command.args.length > 0) throw fail('QUIT takes no arguments');
    const t = ctx.state.transaction;
    if (ctx.state.phase === 'authorization' || !t) {
      ctx.state.phase = 'update';
      await ctx.out.ok('Stratus POP3 signing off');
      return;
    }
    ctx.state.phase = 'update';
    const uids = t.maildrop.deletedUids();
    try {
      if (uids.length > 0) {
        const { store } = ctx.deps;
        const mailboxId = t.maildrop.mailboxId;
        await store.call('message.store', { token: t.token, mailboxId, uids, mode: 'add', flags: ['\\Deleted'] });
        await store.call('message.expunge', { token: t.token, mailboxId, uids });
      }
    } catch (err) {
      ctx.deps.logger.warn({ err: err instanceof Error ? err.message : String(err), login: t.login }, 'pop3 update failed');
      throw fail('Some deleted messages not removed', 'SYS/TEMP');
    } finally {
      await ctx.lease.release();
    }
    await ctx.out.ok(`Stratus POP3 signing off (${uids.length} messages deleted)`);
  },
};
