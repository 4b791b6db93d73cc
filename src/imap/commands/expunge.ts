// EXPUNGE (RFC 3501 §6.4.3) and UID EXPUNGE (RFC 4315 §2.1): removes \Deleted messages (only those in the UID set
// for the UID form) and reports each with `* n EXPUNGE`, highest sequence number first so numbers stay valid.
import type { ExpungeCommand } from '../command.js';
import type { Handler } from '../session/context.js';
import { done, selectedView } from '../session/context.js';
import { expungeDeleted } from '../session/expunge-deleted.js';
import { no } from '../response-codes.js';
import { sequenceSetHas } from '../types.js';
import { expungeResponses } from '../session/condstore.js';

export const expunge: Handler<ExpungeCommand> = async (command, ctx) => {
  const view = selectedView(ctx);
  if (view.readOnly) throw no('READ-ONLY', 'Mailbox is read-only');
  const set = command.set;
  const maxUid = view.count > 0 ? view.uidAt(view.count - 1) : 0;
  // `$` (RFC 5182) names the saved UIDs.
  const saved = set?.kind === 'saved' ? new Set(view.savedUids) : undefined;
  const uids: number[] = [];
  const seqs = await expungeDeleted(ctx, view, set ? (uid) => sequenceSetHas(set, uid, maxUid, saved) : () => true, uids);
  // Once QRESYNC is enabled: `* VANISHED uids`, and the new HIGHESTMODSEQ on the tagged OK (RFC 7162 §3.2.7).
  for (const response of expungeResponses(view, seqs, uids)) await ctx.out.send(response);
  const name = command.uid ? 'UID EXPUNGE' : 'EXPUNGE';
  if (view.qresync && uids.length > 0) return done(`${name} completed`, { code: 'HIGHESTMODSEQ', value: view.modseq });
  return done(`${name} completed`);
};
