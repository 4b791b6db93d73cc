// LSUB (RFC 3501 §6.3.9): subscribed names, \Noselect for those that do not exist (any more) and for unsubscribed
// parents that a "%" pattern reaches instead of the subscribed name below them (never when the pattern reaches that
// name itself: `LSUB "" *` with only foo/bar subscribed answers foo/bar alone).
import type { LsubCommand } from '../command.js';
import { encodeMailboxName } from '../parser/mailbox-name.js';
import type { Handler } from '../session/context.js';
import { done } from '../session/context.js';
import { DELIMITER } from '../session/mailbox-names.js';
import { listData } from '../encoder.js';
import { patternMatcher } from '../session/list-pattern.js';
import { listRows } from '../session/list-rows.js';
import { utf8Names } from '../session/revision.js';

export const lsub: Handler<LsubCommand> = async (command, ctx) => {
  if (command.pattern === '') {
    await ctx.out.send(listData({ attributes: ['\\Noselect'], delimiter: DELIMITER, mailbox: '' }, 'LSUB'));
    return done('LSUB completed');
  }
  const { mailboxes } = await ctx.deps.store.call('mailbox.list', { token: ctx.state.token });
  const rows = listRows(mailboxes, (e) => e.subscribed);
  const pattern = patternMatcher(command.reference, command.pattern);
  // UTF-8 names after UTF8=ACCEPT or IMAP4rev2 (where LSUB is deprecated but still answered, RFC 9051 Appendix E).
  const utf8 = utf8Names(ctx.state.enabled);
  const matches = (path: string): boolean => pattern(utf8 ? path : encodeMailboxName(path));
  const subscribed = mailboxes.filter((e) => e.subscribed).map((e) => e.path);
  let text = ''; // one write for the whole answer
  for (const row of rows.values()) {
    if (!matches(row.path)) continue;
    // An unsubscribed parent stands in only for subscribed names below it that the pattern does not reach.
    const below = subscribed.filter((p) => p.startsWith(`${row.path}${DELIMITER}`));
    if (!subscribed.includes(row.path) && below.every(matches)) continue;
    const attributes = row.attributes.filter((a) => a === '\\Noselect');
    text += listData({ attributes, delimiter: DELIMITER, mailbox: row.path }, 'LSUB', utf8);
  }
  if (text !== '') await ctx.out.send(text);
  return done('LSUB completed');
};
