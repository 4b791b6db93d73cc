// EXPUNGE (RFC 3501 §6.4.3) and UID EXPUNGE (RFC 4315 §2.1): removes \Deleted messages (only those in the UID set
// for the UID form) and reports each with `* n EXPUNGE`, highest sequence number first so numbers stay valid.
import type { ExpungeCommand } from '../command.js';
import type { Handler } from '../session/context.js';
import { done, selectedView } from '../session/context.js';
import { expungeDeleted } from '../session/expunge-deleted.js';
import { no } from '../response-codes.js';
import { sequenceSetHas } from '../types.js';
import { expungeData } from '../encoder.js';

export const expunge: Handler<ExpungeCommand> = async (command, ctx) => {
  const view = selectedView(ctx);
  if (view.readOnly) throw no('READ-ONLY', 'Mailbox is read-only');
  const set = command.set;
  const maxUid = view.count > 0 ? view.uidAt(view.count - 1) : 0;
  const seqs = await expungeDeleted(ctx, view, set ? (uid) => sequenceSetHas(set, uid, maxUid) : () => true);
  for (const seq of seqs) await ctx.out.send(expungeData(seq));
  return done(`${command.uid ? 'UID EXPUNGE' : 'EXPUNGE'} completed`);
};
