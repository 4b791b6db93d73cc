// CREATE (RFC 3501 §6.3.3; RFC 6154 §3 CREATE-SPECIAL-USE's USE parameter is passed through). A trailing
// delimiter only declares the intent to hold children; the name is created without it.
import type { CreateCommand } from '../command.js';
import type { Handler } from '../session/context.js';
import { done } from '../session/context.js';
import { DELIMITER, storePath } from '../session/mailbox-names.js';
import { no } from '../response-codes.js';

export const create: Handler<CreateCommand> = async (command, ctx) => {
  let path = storePath(command.mailbox);
  while (path.endsWith(DELIMITER)) path = path.slice(0, -1);
  if (path === '') throw no('CANNOT', 'Invalid mailbox name');
  if (path === 'INBOX') throw no('ALREADYEXISTS', 'INBOX always exists');
  const specialUse = command.specialUse[0];
  await ctx.deps.store.call('mailbox.create', { token: ctx.state.token, path, ...(specialUse ? { specialUse } : {}) });
  return done('CREATE completed');
};
