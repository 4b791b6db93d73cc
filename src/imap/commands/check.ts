// CHECK (RFC 3501 §6.4.1): every write is already durable when answered, so a checkpoint is only a poll.
import type { CheckCommand } from '../command.js';
import type { Handler } from '../session/context.js';
import { done, selectedView } from '../session/context.js';
import { catchUp } from '../session/freshness.js';

export const check: Handler<CheckCommand> = async (_command, ctx) => {
  await catchUp(ctx, selectedView(ctx));
  return done('CHECK completed');
};
