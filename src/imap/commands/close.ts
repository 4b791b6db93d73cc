// CLOSE (RFC 3501 §6.4.2): silently expunges \Deleted messages when the mailbox is read-write, then deselects.
// No EXPUNGE responses are sent.
import type { CloseCommand } from '../command.js';
import type { Handler } from '../session/context.js';
import { done, selectedView } from '../session/context.js';
import { expungeDeleted } from '../session/expunge-deleted.js';

export const close: Handler<CloseCommand> = async (_command, ctx) => {
  const view = selectedView(ctx);
  if (!view.readOnly) await expungeDeleted(ctx, view, () => true);
  ctx.state.deselect();
  return done('CLOSE completed');
};
