// The attributes of every name a LIST answer may show, from the user's mailbox list: \HasChildren / \HasNoChildren
// (RFC 3348, RFC 5258 §4: always computed here), \Noselect for a name that is only a parent or only subscribed, and
// the special-use attribute (RFC 6154). Shared by LIST, LSUB, SELECT's LIST-less attributes and NOTIFY's unsolicited
// LIST responses (RFC 5465 §5.4, §5.5), so they all say the same thing about a name.
import type { MailboxListEntry } from '../../mailstore/api.js';
import { ancestors } from './list-pattern.js';

export interface Row {
  path: string;
  attributes: string[];
}

/** One row per entry that `exists` accepts, and one per parent name they imply (`\Noselect \HasChildren`). */
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
