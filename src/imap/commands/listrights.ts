// LISTRIGHTS (RFC 4314 §3.4): what may be granted to an identifier; the identifier is echoed as given. Needs "a".
import type { ListRightsCommand } from '../command.js';
import type { Handler } from '../session/context.js';
import { done } from '../session/context.js';
import { storePath } from '../session/mailbox-names.js';
import { utf8Names } from '../session/revision.js';
import { listRightsData } from './acl-wire.js';

export const listrights: Handler<ListRightsCommand> = async (command, ctx) => {
  const utf8 = utf8Names(ctx.state.enabled);
  const path = storePath(command.mailbox, utf8);
  const answer = await ctx.deps.store.call('acl.listRights', { token: ctx.state.token, path, identifier: command.identifier });
  await ctx.out.send(listRightsData(path, answer, utf8));
  return done('LISTRIGHTS completed');
};
