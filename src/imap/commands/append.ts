// APPEND (RFC 3501 §6.3.11, RFC 4315 APPENDUID) and MULTIAPPEND (RFC 3502). A literal up to BUFFERED_BODY_MAX is
// collected into one Buffer and put whole (cheaper than piping an ordinary message through two streams); a larger
// one is streamed straight into the blob store, never buffered whole. Then ONE `message.append` commits every message
// of the command in one transaction (all or nothing, RFC 3502 §6.3.11), answered with APPENDUID and the UID range.
// Before a synchronizing literal the mailbox is checked (so a missing one is NO [TRYCREATE] without transferring the
// message); a non-synchronizing one (RFC 7888) arrives anyway, and the commit's own check answers. A client that
// disconnects mid-literal makes the stream fail, the blob put (or the collection) fails, and nothing is committed.
import type { Readable } from 'node:stream';
import { finished } from 'node:stream';
import type { AppendCommand, LiteralBody } from '../command.js';
import type { Handler } from '../session/context.js';
import { done } from '../session/context.js';
import { bad, no } from '../response-codes.js';
import { storePath } from '../session/mailbox-names.js';
import { utf8Names } from '../session/revision.js';
import { catchUp, ownCommitElsewhere } from '../session/freshness.js';
import { headerHasEightBit, watchHeader } from '../session/header-eight-bit.js';
import { BUFFERED_BODY_MAX } from '../session/fetch-body.js';
import { mailboxIdHintsOf } from '../session/mailbox-id-hints.js';
import { MailStoreError } from '../../mailstore/errors.js';
import type { Flag } from '../types.js';

/** Messages in one commit transaction (the store's batch, src/mailstore/messages.ts). */
const MAX_MESSAGES = 95;

/** Per session: mailboxes an APPEND of this session committed to (so they existed), at most MAX_KNOWN of them. */
const appendedTo = new WeakMap<object, Set<string>>();
const MAX_KNOWN = 100;

export const append: Handler<AppendCommand> = async (command, ctx) => {
  let message: LiteralBody = command.message;
  let consuming = false;
  try {
    const path = storePath(command.mailbox, utf8Names(ctx.state.enabled));
    if (message.size > ctx.deps.limits.maxMessageBytes) throw no('TOOBIG', 'Message too large');
    const token = ctx.state.token;
    // Appended to by this session before: the store's commit checks it again, so the look-ahead is skipped. Should
    // the mailbox be gone meanwhile, the commit's NO [TRYCREATE] comes after the literal instead of before it. A
    // non-synchronizing literal is on its way whatever we answer: the look-ahead would save nothing (two reads).
    let known = appendedTo.get(ctx.state);
    if (message.synchronizing && !known?.has(path)) {
      try {
        // Exists for this user (RFC 4314: any right; APPEND itself needs only "i", enforced by the store's commit).
        await ctx.deps.store.call('acl.myRights', { token, path });
      } catch (err) {
        if (err instanceof MailStoreError && err.code === 'NONEXISTENT') throw no('TRYCREATE', 'Mailbox does not exist');
        throw err;
      }
    }
    const staged: { emailId: string; size: number; flags: string[]; internalDate: number }[] = [];
    let flagsGiven: readonly Flag[] = command.flags;
    let dateGiven = command.internalDate;
    for (;;) {
      if (message.size > ctx.deps.limits.maxMessageBytes) throw no('TOOBIG', 'Message too large');
      if (staged.length >= MAX_MESSAGES) throw no('LIMIT', `At most ${MAX_MESSAGES} messages in one APPEND`);
      if (message.synchronizing) await ctx.out.continuation('Ready for literal data');
      consuming = true;
      // \Recent cannot be set by a client (RFC 3501 §2.3.2).
      const flags = flagsGiven.filter((f) => f !== '\\Recent');
      const internalDate = dateGiven?.getTime() ?? Date.now();
      // RFC 6855 §4: without ENABLE UTF8=ACCEPT (or IMAP4rev2, RFC 9051 §6.3.12: "8-bit characters are permitted
      // in the message"), 8-bit octets in the header fields are a NO — the staged blob is never committed and the
      // GC sweep removes it. Enabled sessions may send them with or without the UTF8 (~{n}) wrapper.
      const eightBitAllowed = utf8Names(ctx.state.enabled);
      let emailId: string;
      if (message.size <= BUFFERED_BODY_MAX) {
        const bytes = await collect(message.stream, message.size);
        // Refused before anything is staged: no blob for the GC to sweep.
        if (!eightBitAllowed && headerHasEightBit(bytes)) throw eightBitRefused();
        emailId = await ctx.deps.store.stage(token, bytes, message.size);
      } else {
        // Streamed: the header is seen on the way, so the refusal comes after the put (the GC sweeps the blob).
        const watch = watchHeader(message.stream);
        emailId = await ctx.deps.store.stage(token, watch, message.size);
        if (!eightBitAllowed && watch.eightBit) throw eightBitRefused();
      }
      staged.push({ emailId, size: message.size, flags, internalDate });
      const next = await message.following;
      if (next === null) break;
      message = next.message;
      consuming = false;
      flagsGiven = next.flags;
      dateGiven = next.internalDate;
    }
    // The id this path named last time in this process (STATUS, APPEND): the store checks it on META and is spared
    // the name read (session/mailbox-id-hints.ts).
    const login = ctx.state.user?.login ?? '';
    const hints = mailboxIdHintsOf(ctx.deps.store);
    let result;
    try {
      result = await ctx.deps.store.appendStaged(token, path, staged, hints.get(login, path));
    } catch (err) {
      known?.delete(path);
      // RFC 4314 §6: a mailbox without any right looks as if it did not exist; for APPEND that is TRYCREATE.
      if (err instanceof MailStoreError && err.code === 'NONEXISTENT') throw no('TRYCREATE', 'Mailbox does not exist');
      throw err;
    }
    hints.set(login, path, result.mailboxId);
    ctx.state.notify?.ownCommit(result.mailboxId, result.modseq); // RFC 5465 §5: no STATUS for its own APPEND
    if (!known) appendedTo.set(ctx.state, (known = new Set()));
    if (known.size >= MAX_KNOWN) known.clear();
    known.add(path);
    const view = ctx.state.view;
    if (view && view.mailboxId === result.mailboxId) {
      if (result.change && view.modseq === result.modseq - 1) {
        // Nothing else happened in between: the commit's own log entry is all the view lacks (no log read; the
        // process's mailbox cache then finds this view up to date and reads nothing either, mailbox-cache.ts).
        view.applyChanges([result.change.entry], result.change.status);
      } else {
        // Others wrote too: the commit's change hint has the process's mailbox cache read the log for every session
        // watching it, this one included (session/watch.ts); wait for that read instead of making a second one. A
        // hint that has not arrived yet (another process's bus) leaves the view behind: the session reads itself.
        await ctx.deps.mailboxes?.settled(result.mailboxId);
        if (view.modseq < result.modseq) await catchUp(ctx, view);
      }
    }
    // The process's copy of the mailbox and its other sessions on it take the message in without a log read either.
    if (result.change) ownCommitElsewhere(ctx, { entries: [result.change.entry], status: result.change.status });
    return done('APPEND completed', { code: 'APPENDUID', uidValidity: result.uidValidity, uids: result.uids });
  } catch (err) {
    // Leave the reader in step with the client: an unread literal is refused (before "+") or skipped.
    if (consuming) message.discard();
    else message.refuse();
    await abandonFollowing(message);
    // The literal broke off (the client went away or sent a bad tail): nothing was committed, and not our fault.
    if (message.stream.errored) throw bad('Message literal was not completed');
    throw err;
  }
};

/**
 * A MULTIAPPEND message the reader already announced after the one that failed is refused too (no continuation for
 * `{n}`, its bytes skipped for `{n+}`), so the reader never waits on a message nobody will read. refuse()/discard()
 * settle `following` with null when nothing was announced yet, so this never waits for the client.
 */
async function abandonFollowing(message: LiteralBody): Promise<void> {
  for (let next = await message.following; next !== null; next = await next.message.following) next.message.refuse();
}

function eightBitRefused(): Error {
  return no(null, 'Message header fields contain 8-bit characters; ENABLE UTF8=ACCEPT first (RFC 6855 section 4)');
}

/**
 * The literal's `size` bytes as one Buffer. A literal that breaks off (the client went away, a bad tail) rejects
 * with the stream's error — also when it broke off before this was called (`finished` reports a stream that is
 * already done).
 */
function collect(stream: Readable, size: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let total = 0;
    const onData = (chunk: Buffer): void => {
      parts.push(chunk);
      total += chunk.length;
    };
    stream.on('data', onData);
    finished(stream, { writable: false }, (err) => {
      stream.removeListener('data', onData);
      if (err) reject(err);
      else if (total !== size) reject(new Error('Message literal was not completed'));
      else resolve(parts.length === 1 ? parts[0]! : Buffer.concat(parts, total));
    });
  });
}
