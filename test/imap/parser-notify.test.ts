// The NOTIFY grammar (RFC 5465 §8) alone, no session: SET with and without STATUS, every filter, event lists with
// MessageNew's fetch-atts, NONE as the event list, NOTIFY NONE, and malformed input as parse failures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCommand } from '../../src/imap/parser/parse-command.js';
import type { NotifyCommand } from '../../src/imap/command.js';

function parse(line: string): NotifyCommand {
  const result = parseCommand([{ kind: 'text', bytes: Buffer.from(line, 'utf8') }]);
  assert.ok(result.ok, `did not parse: ${line}: ${result.ok ? '' : result.text}`);
  assert.equal(result.command.name, 'NOTIFY');
  return result.command as NotifyCommand;
}

function fails(line: string): void {
  const result = parseCommand([{ kind: 'text', bytes: Buffer.from(line, 'utf8') }]);
  assert.equal(result.ok, false, `parsed: ${line}`);
}

test('NOTIFY NONE and NOTIFY SET with the RFC 5465 §3.1 example', () => {
  assert.deepEqual(parse('a notify none'), { tag: 'a', name: 'NOTIFY', set: null });
  // The §3.1 example, with the event lists parenthesised as §8 requires (the example in the RFC omits them).
  const c = parse('b notify set status (selected (MessageNew (uid body.peek[header.fields (from to subject)]) MessageExpunge)) (subtree Lists (MessageNew MessageExpunge))');
  assert.equal(c.set?.status, true);
  assert.equal(c.set?.groups.length, 2);
  assert.deepEqual(c.set?.groups[0]?.filter, { kind: 'SELECTED' });
  assert.deepEqual(c.set?.groups[0]?.events.map((e) => e.name), ['MESSAGENEW', 'MESSAGEEXPUNGE']);
  assert.deepEqual(c.set?.groups[0]?.events[0]?.fetch, [
    { item: 'UID' },
    { item: 'BODY[]', peek: true, section: { part: [], text: { kind: 'HEADER.FIELDS', not: false, fields: ['from', 'to', 'subject'] } } },
  ]);
  assert.deepEqual(c.set?.groups[1]?.filter, { kind: 'SUBTREE', mailboxes: ['Lists'] });
});

test('every filter, mailbox lists, NONE as the event list, case-insensitive names', () => {
  const c = parse(
    'x NOTIFY SET (Selected-Delayed (messagenew messageexpunge flagchange)) (personal NONE) (INBOXES (MessageNew MessageExpunge)) (subscribed (SubscriptionChange)) (MAILBOXES (inbox "a b" "c d") (MailboxName)) (SUBTREE ("Lists") (AnnotationChange Xyzzy))',
  );
  assert.equal(c.set?.status, false);
  assert.deepEqual(
    c.set?.groups.map((g) => g.filter),
    [
      { kind: 'SELECTED-DELAYED' },
      { kind: 'PERSONAL' },
      { kind: 'INBOXES' },
      { kind: 'SUBSCRIBED' },
      { kind: 'MAILBOXES', mailboxes: ['INBOX', 'a b', 'c d'] },
      { kind: 'SUBTREE', mailboxes: ['Lists'] },
    ],
  );
  assert.deepEqual(c.set?.groups[1]?.events, []);
  // Unknown events parse (event-ext = atom): the handler answers BADEVENT.
  assert.deepEqual(c.set?.groups[5]?.events.map((e) => e.name), ['ANNOTATIONCHANGE', 'XYZZY']);
});

test('malformed NOTIFY commands do not parse', () => {
  for (const line of [
    'a NOTIFY',
    'a NOTIFY SET',
    'a NOTIFY SET STATUS',
    'a NOTIFY MAYBE',
    'a NOTIFY NONE extra',
    'a NOTIFY SET (SELECTED)',
    'a NOTIFY SET (SELECTED ())',
    'a NOTIFY SET (NOWHERE (MessageNew MessageExpunge))',
    'a NOTIFY SET (SUBTREE (MessageNew))',
    'a NOTIFY SET (SELECTED (MessageNew (NOSUCHATT) MessageExpunge))',
    'a NOTIFY SET (PERSONAL (MessageNew MessageExpunge)',
    'a NOTIFY SET (PERSONAL (MessageNew MessageExpunge))(INBOXES NONE)',
  ]) {
    fails(line);
  }
});
