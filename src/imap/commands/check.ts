// CHECK (RFC 3501 §6.4.1): every write is already durable when answered, so a checkpoint is only a poll.
// IMAP4rev1 sessions only: RFC 9051 removed CHECK (Appendix E item 17), so after ENABLE IMAP4rev2 the dispatcher
// answers it as an unknown command (session/revision.ts removedInSession) and this handler is never reached.
import type { CheckCommand } from '../command.js';
import type { Handler } from '../session/context.js';
import { done, selectedView } from '../session/context.js';
import { catchUp } from '../session/freshness.js';

export const check: Handler<CheckCommand> = async (_command, ctx) => {
  await catchUp(ctx, selectedView(ctx));
  return done('CHECK completed');
};
