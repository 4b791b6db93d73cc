// RENAME (RFC 3501 §6.3.5). Renaming INBOX moves its messages in some servers; the store decides what it allows.
import type { RenameCommand } from '../command.js';
import type { Handler } from '../session/context.js';
import { done } from '../session/context.js';
import { storePath } from '../session/mailbox-names.js';
import { utf8Names } from '../session/revision.js';

export const rename: Handler<RenameCommand> = async (command, ctx) => {
  await ctx.deps.store.call('mailbox.rename', { token: ctx.state.token, from: storePath(command.from, utf8Names(ctx.state.enabled)), to: storePath(command.to, utf8Names(ctx.state.enabled)) });
  return done('RENAME completed');
};
