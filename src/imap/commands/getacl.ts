// GETACL (RFC 4314 §3.3): one untagged ACL response; needs "a".
import type { GetAclCommand } from '../command.js';
import type { Handler } from '../session/context.js';
import { done } from '../session/context.js';
import { storePath } from '../session/mailbox-names.js';
import { utf8Names } from '../session/revision.js';
import { aclData } from './acl-wire.js';

export const getacl: Handler<GetAclCommand> = async (command, ctx) => {
  const utf8 = utf8Names(ctx.state.enabled);
  const path = storePath(command.mailbox, utf8);
  const answer = await ctx.deps.store.call('acl.get', { token: ctx.state.token, path });
  await ctx.out.send(aclData(path, answer.entries, utf8));
  return done('GETACL completed');
};
