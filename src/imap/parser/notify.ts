// NOTIFY arguments (RFC 5465 §8): `SET [SP STATUS] SP event-group *(SP event-group)` or `NONE`. Only the grammar is
// checked here; which events are supported (NO [BADEVENT]) and the §5 / §6.1 combination rules (BAD) are the
// handler's (commands/notify.ts), so the parser knows nothing of what this server implements.
import type { Cursor } from './cursor.js';
import { mailbox } from './grammar.js';
import { fetchAtt } from './fetch.js';
import type { NotifyCommand, NotifyEvent, NotifyEventGroup, NotifyFilter } from '../command.js';

/** After "NOTIFY". */
export function notifyArguments(c: Cursor, tag: string): NotifyCommand {
  c.sp();
  const verb = c.keyword();
  if (verb === 'NONE') return { tag, name: 'NOTIFY', set: null };
  if (verb !== 'SET') c.fail('NOTIFY needs SET or NONE');
  c.sp();
  let status = false;
  if (c.peek() !== 0x28) {
    if (c.keyword() !== 'STATUS') c.fail('Expected STATUS or an event group');
    status = true;
    c.sp();
  }
  const groups: NotifyEventGroup[] = [eventGroup(c)];
  while (!c.atEnd()) {
    c.sp();
    groups.push(eventGroup(c));
  }
  return { tag, name: 'NOTIFY', set: { status, groups } };
}

/** event-group = "(" filter-mailboxes SP events ")". */
function eventGroup(c: Cursor): NotifyEventGroup {
  c.expect(0x28, '(');
  const filter = filterMailboxes(c);
  c.sp();
  const events = eventList(c);
  c.expect(0x29, ')');
  return { filter, events };
}

function filterMailboxes(c: Cursor): NotifyFilter {
  const kind = c.keyword();
  switch (kind) {
    case 'SELECTED':
    case 'SELECTED-DELAYED':
    case 'PERSONAL':
    case 'INBOXES':
    case 'SUBSCRIBED':
      return { kind };
    case 'SUBTREE':
    case 'MAILBOXES': {
      c.sp();
      // one-or-more-mailbox = mailbox / "(" mailbox *(SP mailbox) ")"
      const mailboxes = c.peek() === 0x28 ? c.list(() => mailbox(c), false) : [mailbox(c)];
      return { kind, mailboxes };
    }
    default:
      return c.fail(`Unknown NOTIFY mailbox filter ${kind}`);
  }
}

/** events = "(" event *(SP event) ")" / "NONE". */
function eventList(c: Cursor): NotifyEvent[] {
  if (c.peek() !== 0x28) {
    if (c.keyword() !== 'NONE') c.fail('Expected an event list or NONE');
    return [];
  }
  return c.list(() => event(c), false);
}

/** An event name (atom, case-insensitive); MessageNew may carry `(fetch-att …)`. */
function event(c: Cursor): NotifyEvent {
  const name = c.keyword();
  if (name !== 'MESSAGENEW') return { name };
  const mark = c.mark();
  if (c.take(0x20) && c.peek() === 0x28) return { name, fetch: c.list(() => fetchAtt(c), false) };
  c.reset(mark);
  return { name };
}
