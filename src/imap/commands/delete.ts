// DELETE (RFC 3501 §6.3.4). The store refuses INBOX (CANNOT) and unknown names (NONEXISTENT).
import type { MailboxCommand } from '../command.js';
import type { Handler } from '../session/context.js';
import { done } from '../session/context.js';
import { storePath } from '../session/mailbox-names.js';
import { utf8Names } from '../session/revision.js';

export const deleteMailbox: Handler<MailboxCommand> = async (command, ctx) => {
  const path = storePath(command.mailbox, utf8Names(ctx.state.enabled));
  await ctx.deps.store.call('mailbox.delete', { token: ctx.state.token, path });
  if (ctx.state.view?.path === path) ctx.state.deselect();
  return done('DELETE completed');
};
