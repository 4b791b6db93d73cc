// LIST (RFC 3501 §6.3.8) with LIST-EXTENDED (RFC 5258): selection options SUBSCRIBED, REMOTE (no remote mailboxes
// here: a no-op), RECURSIVEMATCH (CHILDINFO extended data, §3.5) and SPECIAL-USE (RFC 6154 §5.1); return options
// CHILDREN, SUBSCRIBED, SPECIAL-USE and STATUS (RFC 5819: an untagged STATUS after the LIST of each selectable
// mailbox); several patterns. `LIST "" ""` answers the delimiter. Parents that exist only as part of a deeper name
// are \Noselect in a plain LIST and \NonExistent in an extended one (§3: "\NonExistent" implies "\NoSelect").
import type { ListCommand, StatusItem } from '../command.js';
import { encodeMailboxName } from '../parser/mailbox-name.js';
import type { Handler } from '../session/context.js';
import { done } from '../session/context.js';
import { DELIMITER } from '../session/mailbox-names.js';
import { listData, statusData } from '../encoder.js';
import { ancestors, patternMatcher } from '../session/list-pattern.js';
import { bad } from '../response-codes.js';
import { enableCondstore } from '../session/condstore.js';
import { utf8Names } from '../session/revision.js';
import { statusPairs } from '../session/status-items.js';
import { unclaimedWanted } from './status.js';

const SELECTION_OPTIONS = new Set(['SUBSCRIBED', 'REMOTE', 'RECURSIVEMATCH', 'SPECIAL-USE']);
const RETURN_OPTIONS = new Set(['SUBSCRIBED', 'CHILDREN', 'SPECIAL-USE', 'STATUS']);

/** Characters of responses gathered before a write (a user with thousands of mailboxes gets several writes). */
const WRITE_CHARS = 64 * 1024;

const byName = (a: string, b: string): number => (a === 'INBOX' ? -1 : b === 'INBOX' ? 1 : a < b ? -1 : a > b ? 1 : 0);

export const list: Handler<ListCommand> = async (command, ctx) => {
  const selection = new Set(command.selectionOptions);
  // RFC 5258 §3: "A server MUST respond to options it does not recognize with a BAD response."
  for (const o of selection) if (!SELECTION_OPTIONS.has(o)) throw bad(`Unknown LIST selection option ${o}`);
  for (const o of command.returnOptions) if (!RETURN_OPTIONS.has(o.name)) throw bad(`Unknown LIST return option ${o.name}`);
  // §3.1: RECURSIVEMATCH "MUST NOT occur as the only selection option (or only with REMOTE)".
  if (selection.has('RECURSIVEMATCH') && !selection.has('SUBSCRIBED') && !selection.has('SPECIAL-USE')) {
    throw bad('RECURSIVEMATCH needs another selection option');
  }
  if (command.patterns.length === 1 && command.patterns[0] === '' && selection.size === 0) {
    await ctx.out.send(listData({ attributes: ['\\Noselect'], delimiter: DELIMITER, mailbox: '' }));
    return done('LIST completed');
  }
  const statusItems: readonly StatusItem[] | undefined = command.returnOptions.find((o) => o.name === 'STATUS')?.items as StatusItem[] | undefined;
  if (statusItems?.includes('HIGHESTMODSEQ')) enableCondstore(ctx); // RFC 7162 §3.1 via RFC 5819

  const { mailboxes } = await ctx.deps.store.call('mailbox.list', { token: ctx.state.token });
  const extended = selection.size > 0;
  const subscribedSel = selection.has('SUBSCRIBED');
  const specialSel = selection.has('SPECIAL-USE');
  const recursive = selection.has('RECURSIVEMATCH');
  const showSubscribed = subscribedSel || command.returnOptions.some((o) => o.name === 'SUBSCRIBED');

  const entries = new Map(mailboxes.map((e) => [e.path, e]));
  const existing = mailboxes.filter((e) => e.mailboxId !== null);
  const impliedParents = new Set(existing.flatMap((e) => ancestors(e.path)));
  /** Does the name satisfy every selection option (§3)? Without options: it exists (or is a parent of one that does). */
  const selected = (path: string): boolean => {
    const e = entries.get(path);
    if (!extended) return (e !== undefined && e.mailboxId !== null) || impliedParents.has(path);
    if (subscribedSel && !e?.subscribed) return false;
    if (specialSel && !(e && e.mailboxId !== null && e.specialUse)) return false;
    return true;
  };
  const names = new Set<string>([...existing.map((e) => e.path), ...impliedParents]);
  if (subscribedSel) for (const e of mailboxes) if (e.subscribed) names.add(e.path);
  const selectedNames = [...names].filter(selected);
  // §3.5: a name has CHILDINFO when some descendant (matching the patterns or not) meets the selection criteria.
  const withSelectedChild = new Set(recursive ? selectedNames.flatMap(ancestors) : []);
  const candidates = recursive ? new Set([...selectedNames, ...withSelectedChild]) : new Set(selectedNames);

  const matchers = command.patterns.map((p) => patternMatcher(command.reference, p));
  // Patterns arrive in the session's name form: modified UTF-7, or UTF-8 after UTF8=ACCEPT / IMAP4rev2.
  const utf8 = utf8Names(ctx.state.enabled);
  const wireName = (path: string): string => (utf8 ? path : encodeMailboxName(path));
  const childInfo = [...(subscribedSel ? ['SUBSCRIBED'] : []), ...(specialSel ? ['SPECIAL-USE'] : [])];
  // The responses are gathered and written together: one write for the whole answer, not one per mailbox.
  let text = '';
  for (const path of [...candidates].sort(byName)) {
    if (!matchers.some((m) => m(wireName(path)))) continue;
    const e = entries.get(path);
    const exists = e !== undefined && e.mailboxId !== null;
    const hasChildren = impliedParents.has(path);
    const attributes: string[] = [];
    if (!exists) attributes.push(extended ? '\\NonExistent' : '\\Noselect');
    // CHILDREN (RFC 3348) is always on; a non-existent name without children says only \NonExistent (§5 example 4).
    if (hasChildren) attributes.push('\\HasChildren');
    else if (exists) attributes.push('\\HasNoChildren');
    if (exists && e.specialUse) attributes.push(e.specialUse);
    if (showSubscribed && e?.subscribed) attributes.push('\\Subscribed');
    const info = withSelectedChild.has(path) ? childInfo : undefined;
    text += listData({ attributes, delimiter: DELIMITER, mailbox: path, ...(info ? { childInfo: info } : {}) }, 'LIST', utf8);
    // RFC 5819 §2: STATUS only for selectable mailboxes, right after their LIST response.
    if (statusItems && exists) {
      const s = await ctx.deps.store.call('mailbox.status', { token: ctx.state.token, path, ...unclaimedWanted(statusItems, path, ctx) });
      const recent = ctx.state.view?.mailboxId === s.mailboxId ? ctx.state.view.recentCount : (s.unclaimed ?? 0);
      text += statusData(path, statusPairs(statusItems, s, recent, ctx.deps.limits.maxMessageBytes), utf8);
    }
    if (text.length >= WRITE_CHARS) {
      await ctx.out.send(text);
      text = '';
    }
  }
  if (text !== '') await ctx.out.send(text);
  return done('LIST completed');
};
