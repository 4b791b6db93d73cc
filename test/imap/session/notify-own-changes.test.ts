// RFC 5465 §5 ("The server SHOULD omit notifying the client if the event is caused by this client") for the
// session's own CREATE / RENAME / DELETE / SUBSCRIBE, whatever order the lists of the user's mailboxes come in
// relative to the commands' answers. With the functions in a thread or a Lambda, a list read before the session's
// next command may be delivered after that command's answer: it must not be taken for changes by someone else. The
// hub here is driven by hand (which list, read when), so every order is played exactly, with no timing involved.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { NotifySession, type NotifySpec } from '../../../src/imap/session/notify-session.js';
import type { NotifyHub, UserListWatcher } from '../../../src/imap/session/notify-hub.js';
import { SessionState } from '../../../src/imap/session/state.js';
import type { CommandContext } from '../../../src/imap/session/context.js';
import type { Command } from '../../../src/imap/command.js';
import type { MailboxListEntry } from '../../../src/mailstore/api.js';
import type { MetaCache } from '../../../src/imap/session/meta-cache.js';

/** The hub's side as NotifySession uses it: lists are handed over by the test, numbered as the hub numbers its reads. */
class HandHub {
  watcher: UserListWatcher | undefined;
  reads = 0;
  get listReadsStarted(): number {
    return this.reads;
  }
  /** A list read begins now; deliver its answer later with the number it got. */
  beginRead(): number {
    return ++this.reads;
  }
  watchUser(w: UserListWatcher): () => void {
    this.watcher = w;
    return () => (this.watcher = undefined);
  }
  watchMailbox(): () => void {
    return () => undefined;
  }
  lastStatus(): undefined {
    return undefined;
  }
  refreshUser(): void {}
}

const entry = (path: string, mailboxId: string, subscribed = false): MailboxListEntry => ({ path, mailboxId, specialUse: null, subscribed });
const INBOX = entry('INBOX', 'm-inbox');

async function session(spec: NotifySpec): Promise<{ hub: HandHub; notify: NotifySession; sent: string[]; run: (command: Command) => void }> {
  const hub = new HandHub();
  const sent: string[] = [];
  const state = new SessionState();
  state.signIn({ token: 't', login: 'own@example.com', userId: 'u-own', meta: undefined as unknown as MetaCache });
  const ctx = { state, out: { send: async (r: string) => void sent.push(r) } } as unknown as CommandContext;
  const notify = new NotifySession(ctx, spec, hub as unknown as NotifyHub, async () => undefined);
  await notify.start([INBOX], false);
  // One command as connection.ts runs it: lists that come meanwhile wait; its own change is named before resume.
  const run = (command: Command): void => {
    state.commandRunning = true;
    notify.ownCommand(command);
    state.commandRunning = false;
    notify.resume(ctx);
  };
  return { hub, notify, sent, run };
}

const mailboxNames: NotifySpec = {
  selected: null,
  others: [{ filter: { kind: 'PERSONAL' }, messages: false, flags: false, mailboxName: true, subscription: true }],
};

async function flushed(sent: string[]): Promise<string> {
  for (let i = 0; i < 5; i++) await tick();
  return sent.splice(0).join('');
}

test('a list read before its own RENAME, delivered after it, tells nothing; a later change by someone else is told', async () => {
  const { hub, sent, run } = await session(mailboxNames);
  const created = hub.beginRead(); // the hint of its CREATE started this read; its answer is late
  run({ tag: 'C', name: 'CREATE', mailbox: 'Mine', specialUse: [] });
  run({ tag: 'R', name: 'RENAME', from: 'Mine', to: 'Yours' });
  hub.watcher!.changed([INBOX, entry('Mine', 'm-1')], created);
  assert.equal(await flushed(sent), '');
  const renamed = hub.beginRead();
  hub.watcher!.changed([INBOX, entry('Yours', 'm-1')], renamed);
  assert.equal(await flushed(sent), '');
  run({ tag: 'D', name: 'DELETE', mailbox: 'Yours' });
  hub.watcher!.changed([INBOX], hub.beginRead());
  assert.equal(await flushed(sent), '');
  // Someone else's CREATE at a name this session used before: told.
  hub.watcher!.changed([INBOX, entry('Yours', 'm-2')], hub.beginRead());
  assert.equal(await flushed(sent), '* LIST (\\HasNoChildren) "/" "Yours"\r\n');
});

test('lists that skip its own intermediate states tell nothing; the first list read after them ends the silence', async () => {
  const { hub, sent, run } = await session(mailboxNames);
  run({ tag: 'C', name: 'CREATE', mailbox: 'Work/Mine', specialUse: [] });
  run({ tag: 'S', name: 'SUBSCRIBE', mailbox: 'Work/Mine' });
  run({ tag: 'R', name: 'RENAME', from: 'Work/Mine', to: 'Work/Ours' });
  // One list read after all three: the parent it created, the mailbox under its last name, subscribed at the old one.
  hub.watcher!.changed([INBOX, entry('Work', 'm-w'), entry('Work/Ours', 'm-1'), { ...entry('Work/Mine', 'm-1', true), mailboxId: null }], hub.beginRead());
  assert.equal(await flushed(sent), '');
  // A list read after that: what changes now is someone else's, though the names are the same.
  hub.watcher!.changed([INBOX, entry('Work', 'm-w')], hub.beginRead());
  assert.equal(await flushed(sent), '* LIST (\\NonExistent) "/" "Work/Ours"\r\n* LIST (\\HasNoChildren) "/" "Work"\r\n* LIST (\\NonExistent) "/" "Work/Mine"\r\n');
});

test('a list that arrives while its own command runs waits for the command to name its change', async () => {
  const { hub, notify, sent } = await session(mailboxNames);
  const read = hub.beginRead();
  // The store committed the CREATE and its hint's list came before the command's answer (a thread, a Lambda).
  const state = (notify as unknown as { ctx: CommandContext }).ctx.state;
  state.commandRunning = true;
  hub.watcher!.changed([INBOX, entry('Early', 'm-1')], read);
  notify.ownCommand({ tag: 'C', name: 'CREATE', mailbox: 'Early', specialUse: [] });
  state.commandRunning = false;
  notify.resume((notify as unknown as { ctx: CommandContext }).ctx);
  assert.equal(await flushed(sent), '');
});
