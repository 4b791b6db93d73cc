// CLOSE (RFC 3501 §6.4.2): silently expunges \Deleted messages when the mailbox is read-write, then deselects.
// No EXPUNGE responses are sent.
import type { CloseCommand } from '../command.js';
import type { Handler } from '../session/context.js';
import { done, selectedView } from '../session/context.js';
import { expungeDeleted } from '../session/expunge-deleted.js';
import { MailStoreError } from '../../mailstore/errors.js';

export const close: Handler<CloseCommand> = async (_command, ctx) => {
  const view = selectedView(ctx);
  if (!view.readOnly) {
    try {
      await expungeDeleted(ctx, view, () => true);
    } catch (err) {
      // RFC 4314 §4 CLOSE: without "e" the server "MUST ignore the expunge request, close the mailbox" and say OK.
      if (!(err instanceof MailStoreError && err.code === 'NOPERM')) throw err;
    }
  }
  ctx.state.deselect();
  return done('CLOSE completed');
};
