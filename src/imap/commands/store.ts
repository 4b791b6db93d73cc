// STORE and UID STORE (RFC 3501 §6.4.6): one `message.store` for the set; the view takes the result at once and,
// unless .SILENT, each message of the set is answered with its FLAGS (and UID for the UID form, §6.4.8).
import type { StoreCommand } from '../command.js';
import type { Handler } from '../session/context.js';
import { done, selectedView } from '../session/context.js';
import { bad, no } from '../response-codes.js';
import { fetchResponse } from '../encoder.js';
import type { FetchValue } from '../encoder.js';
import { afterOwnWrite } from '../session/freshness.js';

/** zod bounds one request's UID list at 100k. */
const REQUEST_UIDS = 10_000;

export const store: Handler<StoreCommand> = async (command, ctx) => {
  const view = selectedView(ctx);
  if (view.readOnly) throw no('READ-ONLY', 'Mailbox is read-only');
  if (command.unchangedSince !== undefined) throw bad('CONDSTORE is not enabled');
  const { rows, outOfRange } = view.resolve(command.set, command.uid);
  if (outOfRange) throw bad('Invalid message sequence number');
  // \Recent cannot be changed by a client (RFC 3501 §2.3.2).
  const flags = command.flags.filter((f) => f !== '\\Recent');
  const uids = rows.map((r) => r.uid);
  for (let i = 0; i < uids.length; i += REQUEST_UIDS) {
    const result = await ctx.deps.store.call('message.store', {
      token: ctx.state.token,
      mailboxId: view.mailboxId,
      uids: uids.slice(i, i + REQUEST_UIDS),
      mode: command.mode,
      flags,
    });
    for (const c of result.changed) view.applyFlags(c.uid, c.flags, c.keywords, c.modseq);
    await afterOwnWrite(ctx, view, result.modseq);
  }
  if (!command.silent) {
    for (const row of rows) {
      const index = view.indexOfUid(row.uid);
      if (index < 0) continue;
      const values: FetchValue[] = [{ name: 'FLAGS', flags: view.flagsAt(index) }];
      if (command.uid) values.push({ name: 'UID', uid: row.uid });
      await ctx.out.send(fetchResponse(row.seq, values));
    }
  }
  return done(`${command.uid ? 'UID STORE' : 'STORE'} completed`);
};
