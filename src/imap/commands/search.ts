// SEARCH and UID SEARCH (RFC 3501 §6.4.4, §6.4.8). Flags, UIDs, sizes and internal dates are answered from the
// view; header, text and sent-date keys read cold items in batches of 100 (`message.meta`, cached per session).
import type { SearchCommand } from '../command.js';
import type { Handler } from '../session/context.js';
import { done, selectedView } from '../session/context.js';
import { bad, no } from '../response-codes.js';
import { searchData } from '../encoder.js';
import { matches, needsIndex, usesSavedResult } from '../session/search-evaluator.js';
import type { SearchScope } from '../session/search-evaluator.js';
import type { MessageIndex } from '../../mime/types.js';

const BATCH = 100;
/** Text in the cold items is UTF-8, and US-ASCII is a subset of it (RFC 3501 §6.4.4 requires US-ASCII). */
const CHARSETS = ['UTF-8', 'US-ASCII'];

export const search: Handler<SearchCommand> = async (command, ctx) => {
  const view = selectedView(ctx);
  if (command.charset !== undefined && !CHARSETS.includes(command.charset)) {
    throw no({ code: 'BADCHARSET', charsets: CHARSETS }, 'Unsupported charset');
  }
  if (command.returnOptions !== undefined) throw bad('SEARCH RETURN is not supported');
  if (usesSavedResult(command.key)) throw bad('No saved search result');
  const scope: SearchScope = { count: view.count, maxUid: view.count > 0 ? view.uidAt(view.count - 1) : 0, now: Date.now() };
  const withIndex = needsIndex(command.key);
  const meta = ctx.state.user?.meta;
  const found: number[] = [];
  for (let start = 0; start < view.count; start += BATCH) {
    const end = Math.min(view.count, start + BATCH);
    let indexes = new Map<string, MessageIndex>();
    if (withIndex && meta) {
      const ids: string[] = [];
      for (let i = start; i < end; i++) ids.push(view.emailIdAt(i));
      indexes = await meta.load(ids);
    }
    for (let i = start; i < end; i++) {
      const subject = {
        seq: i + 1,
        uid: view.uidAt(i),
        bits: view.bitsAt(i),
        keywords: view.keywordsAt(i),
        recent: view.isRecent(i),
        size: view.sizeAt(i),
        date: view.dateAt(i),
        modseq: view.modseqAt(i),
        index: indexes.get(view.emailIdAt(i)),
      };
      if (matches(command.key, subject, scope)) found.push(command.uid ? subject.uid : subject.seq);
    }
  }
  await ctx.out.send(searchData(found));
  return done(`${command.uid ? 'UID SEARCH' : 'SEARCH'} completed`);
};
