// UNSELECT (RFC 3691): leave the mailbox without expunging.
import type { UnselectCommand } from '../command.js';
import type { Handler } from '../session/context.js';
import { done } from '../session/context.js';

export const unselect: Handler<UnselectCommand> = async (_command, ctx) => {
  ctx.state.deselect();
  return done('UNSELECT completed');
};
