// SETACL (RFC 4314 §3.1): the store checks the "a" right, resolves the identifier inside the caller's tenant (NO
// otherwise) and answers BAD-worthy BADREQUEST for an unknown right ("MUST NOT silently ignore", §3.1).
import type { SetAclCommand } from '../command.js';
import type { Handler } from '../session/context.js';
import { done } from '../session/context.js';
import { storePath } from '../session/mailbox-names.js';
import { utf8Names } from '../session/revision.js';

export const setacl: Handler<SetAclCommand> = async (command, ctx) => {
  const path = storePath(command.mailbox, utf8Names(ctx.state.enabled));
  await ctx.deps.store.call('acl.set', { token: ctx.state.token, path, identifier: command.identifier, rights: command.rights });
  return done('SETACL completed');
};
