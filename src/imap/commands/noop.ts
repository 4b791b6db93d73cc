// NOOP (RFC 3501 §6.1.2): the client's way to poll; in the selected state the view catches up with the change
// log, and the dispatcher flushes what changed (EXISTS, EXPUNGE, FETCH FLAGS).
import type { NoopCommand } from '../command.js';
import type { Handler } from '../session/context.js';
import { done } from '../session/context.js';
import { catchUp } from '../session/freshness.js';

export const noop: Handler<NoopCommand> = async (_command, ctx) => {
  if (ctx.state.view) await catchUp(ctx, ctx.state.view);
  return done('NOOP completed');
};
