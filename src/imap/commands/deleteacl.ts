// DELETEACL (RFC 4314 §3.2): removes one identifier's entry (its negative entry stays); needs "a".
import type { DeleteAclCommand } from '../command.js';
import type { Handler } from '../session/context.js';
import { done } from '../session/context.js';
import { storePath } from '../session/mailbox-names.js';
import { utf8Names } from '../session/revision.js';

export const deleteacl: Handler<DeleteAclCommand> = async (command, ctx) => {
  const path = storePath(command.mailbox, utf8Names(ctx.state.enabled));
  await ctx.deps.store.call('acl.delete', { token: ctx.state.token, path, identifier: command.identifier });
  return done('DELETEACL completed');
};
