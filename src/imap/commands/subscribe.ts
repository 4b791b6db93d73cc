// SUBSCRIBE / UNSUBSCRIBE (RFC 3501 §6.3.6, §6.3.7): the subscription list is independent of existence.
import type { MailboxCommand } from '../command.js';
import type { Handler } from '../session/context.js';
import { done } from '../session/context.js';
import { storePath } from '../session/mailbox-names.js';
import { utf8Names } from '../session/revision.js';

export const subscribe: Handler<MailboxCommand> = async (command, ctx) => {
  const subscribed = command.name === 'SUBSCRIBE';
  await ctx.deps.store.call('mailbox.subscribe', { token: ctx.state.token, path: storePath(command.mailbox, utf8Names(ctx.state.enabled)), subscribed });
  return done(`${command.name} completed`);
};
