// APPEND (RFC 3501 §6.3.11, RFC 4315 APPENDUID). The literal is streamed straight into the blob store by
// `store.append` — never buffered whole. The mailbox is checked before the client is invited to send (so a missing
// one is NO [TRYCREATE] without transferring the message); a client that disconnects mid-literal makes the stream
// fail, the blob put fails, and nothing is committed.
import type { AppendCommand } from '../command.js';
import type { Handler } from '../session/context.js';
import { done } from '../session/context.js';
import { bad, no } from '../response-codes.js';
import { storePath } from '../session/mailbox-names.js';
import { catchUp } from '../session/freshness.js';
import { MailStoreError } from '../../mailstore/errors.js';

export const append: Handler<AppendCommand> = async (command, ctx) => {
  const message = command.message;
  let consuming = false;
  try {
    const path = storePath(command.mailbox);
    if (message.size > ctx.deps.limits.maxMessageBytes) throw no('TOOBIG', 'Message too large');
    const token = ctx.state.token;
    try {
      await ctx.deps.store.call('mailbox.status', { token, path });
    } catch (err) {
      if (err instanceof MailStoreError && err.code === 'NONEXISTENT') throw no('TRYCREATE', 'Mailbox does not exist');
      throw err;
    }
    if (message.synchronizing) await ctx.out.continuation('Ready for literal data');
    consuming = true;
    // \Recent cannot be set by a client (RFC 3501 §2.3.2).
    const flags = command.flags.filter((f) => f !== '\\Recent');
    const internalDate = command.internalDate?.getTime() ?? Date.now();
    const result = await ctx.deps.store.append(token, path, message.stream, message.size, flags, internalDate);
    const view = ctx.state.view;
    if (view && view.mailboxId === result.mailboxId) await catchUp(ctx, view);
    return done('APPEND completed', { code: 'APPENDUID', uidValidity: result.uidValidity, uids: [result.uid] });
  } catch (err) {
    // Leave the reader in step with the client: an unread literal is refused (before "+") or skipped.
    if (consuming) message.discard();
    else message.refuse();
    // The literal broke off (the client went away or sent a bad tail): nothing was committed, and not our fault.
    if (message.stream.errored) throw bad('Message literal was not completed');
    throw err;
  }
};
