// LIST (RFC 3501 §6.3.8, RFC 6154 special-use attributes, RFC 5258 SUBSCRIBED/SPECIAL-USE selection). `LIST "" ""`
// answers the delimiter; parents that exist only as part of a deeper name are shown \Noselect.
import type { ListCommand } from '../command.js';
import type { MailboxListEntry } from '../../mailstore/api.js';
import { encodeMailboxName } from '../parser/mailbox-name.js';
import type { Handler } from '../session/context.js';
import { done } from '../session/context.js';
import { DELIMITER } from '../session/mailbox-names.js';
import { listData } from '../encoder.js';
import { ancestors, patternMatcher } from '../session/list-pattern.js';

interface Row {
  path: string;
  attributes: string[];
}

export function listRows(entries: readonly MailboxListEntry[], exists: (e: MailboxListEntry) => boolean): Map<string, Row> {
  const present = entries.filter(exists);
  const paths = new Set(present.map((e) => e.path));
  const parents = new Set(present.flatMap((e) => ancestors(e.path)));
  const rows = new Map<string, Row>();
  for (const e of present) {
    const attributes = [parents.has(e.path) ? '\\HasChildren' : '\\HasNoChildren'];
    if (e.mailboxId === null) attributes.unshift('\\Noselect');
    if (e.specialUse) attributes.push(e.specialUse);
    rows.set(e.path, { path: e.path, attributes });
  }
  for (const p of parents) if (!paths.has(p)) rows.set(p, { path: p, attributes: ['\\Noselect', '\\HasChildren'] });
  return rows;
}

export const list: Handler<ListCommand> = async (command, ctx) => {
  if (command.patterns.length === 1 && command.patterns[0] === '') {
    await ctx.out.send(listData({ attributes: ['\\Noselect'], delimiter: DELIMITER, mailbox: '' }));
    return done('LIST completed');
  }
  const { mailboxes } = await ctx.deps.store.call('mailbox.list', { token: ctx.state.token });
  const subscribedOnly = command.selectionOptions.includes('SUBSCRIBED');
  const specialOnly = command.selectionOptions.includes('SPECIAL-USE');
  const rows = listRows(mailboxes, (e) => (subscribedOnly ? e.subscribed : e.mailboxId !== null));
  const subscribed = new Set(mailboxes.filter((e) => e.subscribed).map((e) => e.path));
  const matchers = command.patterns.map((p) => patternMatcher(command.reference, p));
  const sorted = [...rows.values()].sort((a, b) => (a.path === 'INBOX' ? -1 : b.path === 'INBOX' ? 1 : a.path < b.path ? -1 : 1));
  for (const row of sorted) {
    const wire = encodeMailboxName(row.path);
    if (!matchers.some((m) => m(wire))) continue;
    const special = row.attributes.some((a) => /^\\(All|Archive|Drafts|Flagged|Junk|Sent|Trash)$/.test(a));
    if (specialOnly && !special) continue;
    const attributes = subscribedOnly && subscribed.has(row.path) ? [...row.attributes, '\\Subscribed'] : row.attributes;
    await ctx.out.send(listData({ attributes, delimiter: DELIMITER, mailbox: row.path }));
  }
  return done('LIST completed');
};
