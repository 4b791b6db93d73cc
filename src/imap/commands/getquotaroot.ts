// GETQUOTAROOT (RFC 9208 §4.1.2): the mailbox's quota roots, then the QUOTA of each.
import type { GetQuotaRootCommand } from '../command.js';
import type { Handler } from '../session/context.js';
import { done } from '../session/context.js';
import { storePath } from '../session/mailbox-names.js';
import { utf8Names } from '../session/revision.js';
import { quotaData, quotaRootData } from './quota-wire.js';

export const getquotaroot: Handler<GetQuotaRootCommand> = async (command, ctx) => {
  const utf8 = utf8Names(ctx.state.enabled);
  const path = storePath(command.mailbox, utf8);
  const answer = await ctx.deps.store.call('quota.root', { token: ctx.state.token, path });
  await ctx.out.send(quotaRootData(command.mailbox === 'INBOX' ? 'INBOX' : path, answer.roots, utf8));
  for (const root of answer.roots) {
    const data = quotaData(root);
    if (data !== null) await ctx.out.send(data);
  }
  return done('GETQUOTAROOT completed');
};
