// NOTIFY (RFC 5465 §3.1): `NOTIFY NONE` ends notifications; `NOTIFY SET [STATUS] (filter events) …` replaces them.
// The events and combinations are checked here: an event this server does not implement is NO [BADEVENT (the
// supported ones)] (§3.1), the §5 / §6.1 rules are BAD. Then the user's mailbox list names the watched mailboxes,
// the selected view catches up (NOTIFY SET "implies an implicit NOOP"), and session/notify-session.ts takes over,
// with the FETCH command handed in for MessageNew's fetch-atts (a session module never imports a command).
import type { FetchItem, NotifyCommand, NotifyEventGroup } from '../command.js';
import type { Handler } from '../session/context.js';
import { done } from '../session/context.js';
import { bad, no } from '../response-codes.js';
import { notifyAvailable } from '../connection.js';
import { storePath } from '../session/mailbox-names.js';
import { utf8Names } from '../session/revision.js';
import { catchUp } from '../session/freshness.js';
import { MAX_WATCHED, NotifySession, matches } from '../session/notify-session.js';
import type { FetchNew, NotifySpec, OtherFilter, OtherGroup, SelectedEvents } from '../session/notify-session.js';
import { fetch } from './fetch.js';

/** The events implemented, as BADEVENT lists them (§8 event-name spelling). */
const SUPPORTED = ['MessageNew', 'MessageExpunge', 'FlagChange', 'MailboxName', 'SubscriptionChange'] as const;
const SUPPORTED_UPPER: ReadonlySet<string> = new Set(SUPPORTED.map((e) => e.toUpperCase()));
const MESSAGE_EVENTS: ReadonlySet<string> = new Set(['MESSAGENEW', 'MESSAGEEXPUNGE', 'FLAGCHANGE', 'ANNOTATIONCHANGE']);

export const notify: Handler<NotifyCommand> = async (command, ctx) => {
  const hub = ctx.deps.notifyHub;
  if (!hub || !notifyAvailable(ctx.deps)) throw bad('NOTIFY is not supported');
  const state = ctx.state;
  if (command.set === null) {
    state.notify?.stop();
    state.notify = null;
    return done('NOTIFY completed');
  }
  const spec = specOf(command.set.groups, utf8Names(state.enabled));
  const list = spec.others.length > 0 ? (await ctx.deps.store.call('mailbox.list', { token: state.token })).mailboxes : [];
  // §3.1: "If the notification would be prohibitively expensive for the server … NO [NOTIFICATIONOVERFLOW]".
  const watched = list.filter((e) => e.mailboxId !== null && spec.others.some((g) => (g.messages || g.flags) && matches(g.filter, e)));
  if (watched.length > MAX_WATCHED) throw no('NOTIFICATIONOVERFLOW', `NOTIFY would watch more than ${MAX_WATCHED} mailboxes`);
  state.notify?.stop();
  const session = new NotifySession(ctx, spec, hub, fetchNew);
  state.notify = session;
  if (state.view) await catchUp(ctx, state.view);
  await session.start(list, command.set.status);
  return done('NOTIFY completed');
};

/** §5.2: MessageNew's fetch-atts for new messages of the selected mailbox, as a `UID FETCH from:to` of their own. */
const fetchNew: FetchNew = async (ctx, from, to, items) => {
  await fetch({ tag: '*', name: 'FETCH', uid: true, set: { kind: 'ranges', ranges: [{ start: from, end: to }] }, items: [...items], vanished: false }, ctx);
};

function specOf(groups: readonly NotifyEventGroup[], utf8: boolean): NotifySpec {
  // §3.1: an event of an unsupported type is NO [BADEVENT (…)], listing every event the server supports.
  for (const g of groups) {
    for (const e of g.events) {
      if (!SUPPORTED_UPPER.has(e.name)) throw no(`BADEVENT (${SUPPORTED.join(' ')})`, `Unsupported NOTIFY event ${e.name}`);
    }
  }
  let selected: SelectedEvents | null = null;
  let selectedSeen = false;
  const others: OtherGroup[] = [];
  for (const g of groups) {
    const names = new Set(g.events.map((e) => e.name));
    // §5: MessageNew and MessageExpunge together, and FlagChange only with both.
    if (names.has('MESSAGENEW') !== names.has('MESSAGEEXPUNGE')) throw bad('MessageNew and MessageExpunge go together');
    if (names.has('FLAGCHANGE') && !names.has('MESSAGENEW')) throw bad('FlagChange needs MessageNew and MessageExpunge');
    const fetch = g.events.find((e) => e.fetch !== undefined)?.fetch;
    const filter = g.filter;
    if (filter.kind === 'SELECTED' || filter.kind === 'SELECTED-DELAYED') {
      // §6.1: one selected filter per command, with message events only.
      if (selectedSeen) throw bad('Only one of SELECTED and SELECTED-DELAYED');
      selectedSeen = true;
      for (const n of names) if (!MESSAGE_EVENTS.has(n)) throw bad(`${n} cannot be used with ${filter.kind}`);
      const messages = names.has('MESSAGENEW');
      selected = { delayed: filter.kind === 'SELECTED-DELAYED', messages, flags: names.has('FLAGCHANGE'), fetch: fetch?.map(peek) };
      continue;
    }
    // §8: "The fett-att list may only be present for the SELECTED/SELECTED-DELAYED mailbox filter".
    if (fetch !== undefined) throw bad('FETCH attributes only with SELECTED or SELECTED-DELAYED');
    const other: OtherFilter =
      filter.kind === 'SUBTREE' || filter.kind === 'MAILBOXES'
        ? { kind: filter.kind, paths: filter.mailboxes.map((m) => storePath(m, utf8)) }
        : { kind: filter.kind };
    others.push({
      filter: other,
      messages: names.has('MESSAGENEW'),
      flags: names.has('FLAGCHANGE'),
      mailboxName: names.has('MAILBOXNAME'),
      subscription: names.has('SUBSCRIPTIONCHANGE'),
    });
  }
  return { selected, others };
}

/** §5.2: the client "SHOULD NOT use FETCH attributes that implicitly set the \Seen flag"; a notification never does. */
function peek(item: FetchItem): FetchItem {
  if (item.item === 'BODY[]' || item.item === 'BINARY[]') return { ...item, peek: true };
  return item;
}
