// MYRIGHTS (RFC 4314 §3.5): the caller's own rights; needs any of l r i k x a (§4).
import type { MyRightsCommand } from '../command.js';
import type { Handler } from '../session/context.js';
import { done } from '../session/context.js';
import { storePath } from '../session/mailbox-names.js';
import { utf8Names } from '../session/revision.js';
import { myRightsData } from './acl-wire.js';

export const myrights: Handler<MyRightsCommand> = async (command, ctx) => {
  const utf8 = utf8Names(ctx.state.enabled);
  const path = storePath(command.mailbox, utf8);
  const answer = await ctx.deps.store.call('acl.myRights', { token: ctx.state.token, path });
  await ctx.out.send(myRightsData(path, answer.rights, utf8));
  return done('MYRIGHTS completed');
};
