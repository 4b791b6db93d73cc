// STORE and UID STORE (RFC 3501 §6.4.6): one `message.store` for the set; the view takes the result at once and,
// unless .SILENT, each message of the set is answered with its FLAGS (and UID for the UID form, §6.4.8).
// CONDSTORE (RFC 7162 §3.1.3): UNCHANGEDSINCE leaves messages with a higher MODSEQ alone and names them in
// `OK [MODIFIED set]`; with UNCHANGEDSINCE every changed message is answered even under .SILENT, and once CONDSTORE
// is enabled the answers carry MODSEQ.
import type { StoreCommand } from '../command.js';
import type { Handler } from '../session/context.js';
import { done, selectedView } from '../session/context.js';
import { bad, no } from '../response-codes.js';
import { fetchResponse } from '../encoder.js';
import type { FetchValue } from '../encoder.js';
import { afterOwnWrite } from '../session/freshness.js';
import { condstoreEnabled, enableCondstore } from '../session/condstore.js';
import { isUidOnly } from '../session/revision.js';
import type { MailboxView, MessageRow } from '../session/mailbox-view.js';

/** zod bounds one request's UID list at 100k. */
const REQUEST_UIDS = 10_000;

export const store: Handler<StoreCommand> = async (command, ctx) => {
  const view = selectedView(ctx);
  if (view.readOnly) throw no('READ-ONLY', 'Mailbox is read-only');
  const unchangedSince = command.unchangedSince;
  if (unchangedSince !== undefined) enableCondstore(ctx);
  const { rows, outOfRange } = view.resolve(command.set, command.uid);
  if (outOfRange) throw bad('Invalid message sequence number');
  // \Recent cannot be changed by a client (RFC 3501 §2.3.2).
  const flags = command.flags.filter((f) => f !== '\\Recent');
  const modified = new Set<number>();
  const changed = new Set<number>();
  for (let i = 0; i < rows.length; i += REQUEST_UIDS) {
    const part = rows.slice(i, i + REQUEST_UIDS);
    const known = knownFlags(view, part);
    const result = await ctx.deps.store.call('message.store', {
      token: ctx.state.token,
      mailboxId: view.mailboxId,
      uids: part.map((r) => r.uid),
      mode: command.mode,
      flags,
      ...(unchangedSince !== undefined ? { unchangedSince } : {}),
      ...(known ? { known } : {}),
    });
    for (const c of result.changed) {
      view.applyFlags(c.uid, c.flags, c.keywords, c.modseq);
      changed.add(c.uid);
    }
    for (const uid of result.modified) modified.add(uid);
    if (result.modseq > 0) await afterOwnWrite(ctx, view, result.modseq, result.change);
  }
  const withModseq = condstoreEnabled(ctx);
  for (const row of rows) {
    if (modified.has(row.uid)) continue; // left alone: not answered (§3.1.3 example 11)
    if (command.silent && !(unchangedSince !== undefined && changed.has(row.uid))) continue;
    const index = view.indexOfUid(row.uid);
    if (index < 0) continue;
    // Under .SILENT the answer is the new MODSEQ alone (§3.1.3 example 5).
    const values: FetchValue[] = command.silent ? [] : [{ name: 'FLAGS', flags: view.flagsAt(index) }];
    if (command.uid) values.push({ name: 'UID', uid: row.uid });
    if (withModseq) values.push({ name: 'MODSEQ', modSeq: view.modseqAt(index) });
    await ctx.out.send(isUidOnly(ctx.state.enabled) ? fetchResponse(row.uid, values, true) : fetchResponse(row.seq, values));
  }
  const name = command.uid ? 'UID STORE' : 'STORE';
  if (modified.size > 0) {
    const numbers = rows.filter((r) => modified.has(r.uid)).map((r) => (command.uid ? r.uid : r.seq));
    return done(`Conditional ${name} failed for some messages`, { code: 'MODIFIED', numbers });
  }
  return done(`${name} completed`);
};

/**
 * What the view holds for the messages (flags, keywords, MODSEQ): the store plans from it and its transaction checks
 * it, so the usual STORE reads no hot item. None when a message is a ghost (expunged elsewhere): that one is read.
 */
function knownFlags(view: MailboxView, rows: readonly MessageRow[]): { flags: number[]; keywords: string[][]; modseqs: number[] } | undefined {
  const known = { flags: [] as number[], keywords: [] as string[][], modseqs: [] as number[] };
  for (const row of rows) {
    if (view.isGhost(row.index)) return undefined;
    known.flags.push(view.bitsAt(row.index));
    known.keywords.push(view.keywordsAt(row.index) as string[]);
    known.modseqs.push(view.modseqAt(row.index));
  }
  return known;
}
