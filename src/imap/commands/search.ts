// SEARCH and UID SEARCH (RFC 3501 §6.4.4, §6.4.8). Flags, UIDs, sizes and internal dates are answered from the
// view; header, text and sent-date keys read cold items in batches of 100 (`message.meta`, cached per session).
// RETURN (MIN MAX ALL COUNT SAVE) answers with `* ESEARCH` (RFC 4731 §3.1) and SAVE keeps the result as `$`
// (RFC 5182 §2.1); a MODSEQ key enables CONDSTORE and adds the highest MODSEQ of the answer (RFC 7162 §3.1.5).
import type { SearchCommand } from '../command.js';
import type { Handler } from '../session/context.js';
import { done, selectedView } from '../session/context.js';
import { isRev2, UTF8_ACCEPT } from '../session/revision.js';
import { bad } from '../response-codes.js';
import { esearchData, searchData } from '../encoder.js';
import type { EsearchResult } from '../encoder.js';
import { checkCharset, scanView, usesModseq } from '../session/search-scan.js';
import type { MetaLoader } from '../session/search-scan.js';
import { enableCondstore } from '../session/condstore.js';
import type { MailboxView } from '../session/mailbox-view.js';

export const search: Handler<SearchCommand> = async (command, ctx) => {
  const view = selectedView(ctx);
  // RFC 9051 §6.4.4 / Appendix E item 4: a rev2 session always gets ESEARCH; no RETURN is RETURN (ALL).
  const options = command.returnOptions ?? (isRev2(ctx.state.enabled) ? [] : undefined);
  // RFC 6855 §3: after ENABLE UTF8=ACCEPT a CHARSET conflicts with the UTF-8 the client promised.
  if (command.charset !== undefined && ctx.state.enabled.has(UTF8_ACCEPT)) throw bad('No CHARSET after ENABLE UTF8=ACCEPT');
  const save = options?.includes('SAVE') ?? false;
  let hits: Hit[];
  try {
    if (command.charset !== undefined) checkCharset(command.charset);
    hits = await evaluate(command, ctx.state.user?.meta, view);
  } catch (err) {
    // RFC 5182 §2.1: a failed SEARCH (RETURN (SAVE)) leaves `$` empty.
    if (save) view.savedUids = [];
    throw err;
  }
  const withModseq = usesModseq(command.key);
  if (withModseq) enableCondstore(ctx);
  const number = (h: Hit) => (command.uid ? h.uid : h.seq);
  const name = command.uid ? 'UID SEARCH' : 'SEARCH';

  if (options === undefined) {
    const highest = withModseq ? Math.max(0, ...hits.map((h) => h.modseq)) : undefined;
    await ctx.out.send(searchData(hits.map(number), highest));
    return done(`${name} completed`);
  }
  // RETURN () means ALL (RFC 4731 §3.1); SAVE alone sends no ESEARCH (RFC 5182 §2.1).
  const wanted = new Set(options.length === 0 ? ['ALL'] : options);
  const first = hits[0];
  const last = hits[hits.length - 1];
  if (save) {
    // With MIN and/or MAX but neither ALL nor COUNT, only those messages are saved (RFC 5182 §2.1).
    const partial = !wanted.has('ALL') && !wanted.has('COUNT') && (wanted.has('MIN') || wanted.has('MAX'));
    const savedHits = partial ? [...(wanted.has('MIN') && first ? [first] : []), ...(wanted.has('MAX') && last ? [last] : [])] : hits;
    view.savedUids = [...new Set(savedHits.map((h) => h.uid))];
  }
  wanted.delete('SAVE');
  if (wanted.size === 0) return done(`${name} completed`);
  const result: { -readonly [K in keyof EsearchResult]: EsearchResult[K] } = { tag: command.tag, uid: command.uid };
  const reported: Hit[] = [];
  if (wanted.has('MIN') && first) {
    result.min = number(first);
    reported.push(first);
  }
  if (wanted.has('MAX') && last) {
    result.max = number(last);
    reported.push(last);
  }
  if (wanted.has('ALL')) {
    result.all = hits.map(number);
    reported.push(...hits);
  }
  if (wanted.has('COUNT')) {
    result.count = hits.length;
    reported.push(...hits);
  }
  // RFC 7162 §3.1.5: the highest MODSEQ of the messages the answer reports; none when nothing matched.
  if (withModseq && reported.length > 0) result.modSeq = Math.max(...reported.map((h) => h.modseq));
  await ctx.out.send(esearchData(result));
  return done(`${name} completed`);
};

interface Hit {
  seq: number;
  uid: number;
  modseq: number;
}

async function evaluate(command: SearchCommand, meta: MetaLoader | undefined, view: MailboxView): Promise<Hit[]> {
  return scanView(command.key, meta, view, (m) => ({ seq: m.seq, uid: m.uid, modseq: m.modseq }));
}
