// SORT and UID SORT (RFC 5256 §3) with the DISPLAYFROM / DISPLAYTO keys of SORT=DISPLAY (RFC 5957 §3): SEARCH's
// criteria pick the messages (session/search-scan.ts), each one's sort keys are computed once from the view and its
// cold item (session/sort-keys.ts), and the answer is a plain `* SORT` (no ESORT), with `(MODSEQ n)` after a MODSEQ
// criterion (RFC 7162 §3.1.9).
import type { SortCommand } from '../command.js';
import type { Handler } from '../session/context.js';
import { done, selectedView } from '../session/context.js';
import { sortData } from '../encoder.js';
import { checkCharset, scanView, usesModseq } from '../session/search-scan.js';
import { sortNeedsIndex, sortRecord, sortRecords } from '../session/sort-keys.js';

export const sort: Handler<SortCommand> = async (command, ctx) => {
  const view = selectedView(ctx);
  checkCharset(command.charset);
  const records = await scanView(
    command.key,
    ctx.state.user?.meta,
    view,
    (m) => sortRecord(m, command.criteria),
    sortNeedsIndex(command.criteria),
  );
  const sorted = sortRecords(records, command.criteria);
  // RFC 7162 §3.1.9: a MODSEQ criterion adds the highest MODSEQ of the messages returned.
  const highest = usesModseq(command.key) ? sorted.reduce((max, r) => Math.max(max, r.modseq), 0) : undefined;
  await ctx.out.send(sortData(sorted.map((r) => (command.uid ? r.uid : r.seq)), highest));
  return done(`${command.uid ? 'UID SORT' : 'SORT'} completed`);
};
