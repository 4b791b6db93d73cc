// FETCH and UID FETCH (RFC 3501 §6.4.5, §6.4.8). FLAGS, UID, INTERNALDATE and RFC822.SIZE come from the view (no
// store call); ENVELOPE, BODYSTRUCTURE and sections need the cold items, loaded per batch of 100 messages; bodies
// are streamed from ranged blob reads. A non-PEEK body fetch sets \Seen with one `message.store` for the whole
// command, before the answers, so the FLAGS reported with the body are already the new ones.
import type { FetchCommand, FetchItem } from '../command.js';
import type { Handler, CommandContext } from '../session/context.js';
import { done, selectedView } from '../session/context.js';
import type { MailboxView, MessageRow } from '../session/mailbox-view.js';
import { bad, no } from '../response-codes.js';
import { fetchFlagsText, fetchHead, fetchItemText, fetchResponse, fetchTail } from '../encoder.js';
import type { FetchValue, ResponsePiece } from '../encoder.js';
import { envelopeWire } from '../wire/envelope.js';
import { bodyNonExtensibleWire, bodystructureWire } from '../wire/bodystructure.js';
import { binaryBody, needsIndexForSection, sectionBody, slicePartial } from '../session/fetch-body.js';
import type { BodySource } from '../session/fetch-body.js';
import { FLAG_SEEN } from '../../mailstore/flags.js';
import type { MessageIndex } from '../../mime/types.js';
import { afterOwnWrite } from '../session/freshness.js';
import { condstoreEnabled, enableCondstore, uidSetMember, vanishedSince } from '../session/condstore.js';
import { vanishedData } from '../encoder.js';
import { emailObjectId, threadObjectId } from '../wire/object-id.js';
import { isUidOnly } from '../session/revision.js';
import { flagListOf } from '../session/flag-lists.js';

const BATCH = 100;
/** Bytes of FETCH responses gathered into one write. */
const WRITE_BYTES = 64 * 1024;

function needsIndex(item: FetchItem): boolean {
  switch (item.item) {
    case 'ENVELOPE':
    case 'BODYSTRUCTURE':
    case 'BODY':
    case 'RFC822.HEADER':
    case 'RFC822.TEXT':
    case 'THREADID':
    case 'PREVIEW':
      return true;
    case 'BODY[]':
      return needsIndexForSection(item.section);
    case 'BINARY[]':
    case 'BINARY.SIZE':
      return true;
    default:
      return false;
  }
}

/** Items that set \Seen (RFC 3501 §6.4.5: BODY[...] without .PEEK, RFC822, RFC822.TEXT; RFC 3516 §4.2 BINARY[...]). */
function setsSeen(item: FetchItem): boolean {
  return ((item.item === 'BODY[]' || item.item === 'BINARY[]') && !item.peek) || item.item === 'RFC822' || item.item === 'RFC822.TEXT';
}

export const fetch: Handler<FetchCommand> = async (command, ctx) => {
  const view = selectedView(ctx);
  // RFC 7162 §3.2.6: VANISHED only once QRESYNC is enabled (the parser allows it only on UID FETCH).
  if (command.vanished && !ctx.state.enabled.has('QRESYNC')) throw bad('QRESYNC is not enabled');
  const changedSince = command.changedSince;
  // §3.1: FETCH MODSEQ and FETCH (CHANGEDSINCE) are CONDSTORE enabling commands.
  if (changedSince !== undefined || command.items.some((i) => i.item === 'MODSEQ')) enableCondstore(ctx);
  const resolved = view.resolve(command.set, command.uid);
  if (resolved.outOfRange) throw bad('Invalid message sequence number');
  // §3.1.4.1: only messages whose mod-sequence is above CHANGEDSINCE.
  const rows = changedSince === undefined ? resolved.rows : resolved.rows.filter((r) => view.modseqAt(r.index) > changedSince);

  // UID FETCH always reports the UID (§6.4.8); under UIDONLY it leads the UIDFETCH response instead (RFC 9586 §3.3).
  const implicitUid = command.uid && !isUidOnly(ctx.state.enabled) && !command.items.some((i) => i.item === 'UID');
  const items: FetchItem[] = implicitUid ? [{ item: 'UID' }, ...command.items] : [...command.items];
  // §3.1.4.1: CHANGEDSINCE implies the MODSEQ item.
  if (changedSince !== undefined && !items.some((i) => i.item === 'MODSEQ')) items.push({ item: 'MODSEQ' });
  if (items.some(setsSeen) && !view.readOnly) {
    await markSeen(ctx, view, rows);
    // Report the new flags alongside the body unless FLAGS were asked for anyway (§6.4.5); with CONDSTORE the
    // changed flags come with their new MODSEQ (RFC 7162 §3.1.4.1).
    if (!items.some((i) => i.item === 'FLAGS')) items.push({ item: 'FLAGS' });
    if (condstoreEnabled(ctx) && !items.some((i) => i.item === 'MODSEQ')) items.push({ item: 'MODSEQ' });
  }
  if (command.vanished && changedSince !== undefined) {
    // §3.2.6: expunged UIDs of the set, reported before the FETCH responses.
    const gone = await vanishedSince(ctx, view, changedSince, uidSetMember(command.set, view));
    if (gone.length > 0) await ctx.out.send(vanishedData(gone, true));
  }
  const withIndex = items.some(needsIndex);
  // Items the view answers alone are built without a promise per message (FLAGS, UID, sizes, dates, MODSEQ …).
  const fromView = items.every(answeredByView);
  const uidOnly = isUidOnly(ctx.state.enabled);
  if (fromView) {
    await sendFromView(ctx, view, rows, items, uidOnly);
    return done(`${command.uid ? 'UID FETCH' : 'FETCH'} completed`);
  }
  const meta = ctx.state.user?.meta;
  // ENVELOPE, BODYSTRUCTURE … of a batch are built without a promise per message; only body reads are awaited.
  const readsBody = items.some(readsBodyBytes);
  // Responses without a body stream are gathered and written together (one socket write for up to WRITE_BYTES
  // instead of one per message); a response with a stream goes out on its own, after what was gathered.
  let gathered: ResponsePiece[] = [];
  let gatheredBytes = 0;
  const flush = async (): Promise<void> => {
    if (gathered.length === 0) return;
    const pieces = gathered;
    gathered = [];
    gatheredBytes = 0;
    await ctx.out.send(pieces);
  };
  for (let i = 0; i < rows.length; i += BATCH) {
    const batch = rows.slice(i, i + BATCH);
    const indexes = withIndex && meta ? await meta.load(batch.map((r) => view.emailIdAt(r.index))) : undefined;
    for (const row of batch) {
      const index = indexes?.get(view.emailIdAt(row.index));
      const values = readsBody ? await fetchValues(ctx, view, row, items, index) : indexValues(view, row, items, index);
      // RFC 9586 §3.3: UIDFETCH under UIDONLY.
      const response = uidOnly ? fetchResponse(row.uid, values, true) : fetchResponse(row.seq, values);
      let bytes = 0;
      for (const piece of response) bytes += typeof piece === 'string' || Buffer.isBuffer(piece) ? piece.length : Infinity;
      if (bytes === Infinity) {
        await flush();
        await ctx.out.send(response);
        continue;
      }
      gathered.push(...response);
      gatheredBytes += bytes;
      if (gatheredBytes >= WRITE_BYTES) await flush();
    }
    if (withIndex) await flush(); // before the next batch's cold-item read, so the client is not kept waiting
  }
  await flush();
  return done(`${command.uid ? 'UID FETCH' : 'FETCH'} completed`);
};

async function markSeen(ctx: CommandContext, view: MailboxView, rows: readonly MessageRow[]): Promise<void> {
  const unseen = rows.filter((r) => !(view.bitsAt(r.index) & FLAG_SEEN)).map((r) => r.uid);
  if (unseen.length === 0) return;
  const result = await ctx.deps.store.call('message.store', {
    token: ctx.state.token,
    mailboxId: view.mailboxId,
    uids: unseen,
    mode: 'add',
    flags: ['\\Seen'],
  });
  for (const c of result.changed) view.applyFlags(c.uid, c.flags, c.keywords, c.modseq);
  await afterOwnWrite(ctx, view, result.modseq);
}

/** Items answered from the view alone: no cold item, no body, nothing to await. */
function answeredByView(item: FetchItem): boolean {
  switch (item.item) {
    case 'UID':
    case 'FLAGS':
    case 'INTERNALDATE':
    case 'RFC822.SIZE':
    case 'MODSEQ':
    case 'SAVEDATE':
    case 'EMAILID':
      return true;
    default:
      return false;
  }
}

/** The value of an item `answeredByView` accepts; undefined for any other. */
function viewValue(view: MailboxView, row: MessageRow, item: FetchItem): FetchValue | undefined {
  switch (item.item) {
    case 'UID':
      return { name: 'UID', uid: row.uid };
    case 'FLAGS':
      return { name: 'FLAGS', flags: flagListOf(view.bitsAt(row.index), view.keywordsAt(row.index), view.isRecent(row.index)) };
    case 'INTERNALDATE':
      return { name: 'INTERNALDATE', date: new Date(view.dateAt(row.index)) };
    case 'RFC822.SIZE':
      return { name: 'RFC822.SIZE', size: view.sizeAt(row.index) };
    case 'MODSEQ':
      return { name: 'MODSEQ', modSeq: view.modseqAt(row.index) };
    case 'SAVEDATE': {
      // RFC 8514 §4.2: NIL for a message stored before save dates were kept.
      const saved = view.saveDateAt(row.index);
      return { name: 'SAVEDATE', date: saved > 0 ? new Date(saved) : null };
    }
    case 'EMAILID':
      return { name: 'EMAILID', id: emailObjectId(view.emailIdAt(row.index)) };
    default:
      return undefined;
  }
}

/**
 * Answers of items the view holds alone (FETCH 1:* (FLAGS), the commonest FETCH of all), written as text runs of up
 * to WRITE_BYTES: no FetchValue, piece array or promise per message. FLAGS and UID, the usual items, are formatted
 * straight from the view's columns; the wire text of each flag state is kept (flag-lists.ts, encoder.ts).
 */
async function sendFromView(
  ctx: CommandContext,
  view: MailboxView,
  rows: readonly MessageRow[],
  items: readonly FetchItem[],
  uidOnly: boolean,
): Promise<void> {
  let text = '';
  for (const row of rows) {
    // RFC 9586 §3.3: UIDFETCH under UIDONLY.
    text += fetchHead(uidOnly ? row.uid : row.seq, uidOnly);
    for (let k = 0; k < items.length; k++) {
      if (k > 0) text += ' ';
      const item = items[k]!;
      if (item.item === 'FLAGS') {
        text += fetchFlagsText(flagListOf(view.bitsAt(row.index), view.keywordsAt(row.index), view.isRecent(row.index)));
      } else if (item.item === 'UID') {
        text += `UID ${row.uid}`;
      } else {
        const value = viewValue(view, row, item);
        const wire = value === undefined ? undefined : fetchItemText(value);
        if (wire === undefined) throw bad('Fetch item not supported');
        text += wire;
      }
    }
    text += fetchTail;
    // A threshold, not a limit: characters stand in for bytes (flags and numbers are ASCII).
    if (text.length >= WRITE_BYTES) {
      await ctx.out.send(text);
      text = '';
    }
  }
  if (text !== '') await ctx.out.send(text);
}

/** Items whose answer reads the message's bytes (fetchValues); every other item is `viewValue`'s or `indexValue`'s. */
function readsBodyBytes(item: FetchItem): boolean {
  switch (item.item) {
    case 'BODY[]':
    case 'BINARY[]':
    case 'BINARY.SIZE':
    case 'RFC822':
    case 'RFC822.HEADER':
    case 'RFC822.TEXT':
      return true;
    default:
      return false;
  }
}

/**
 * ENVELOPE and BODYSTRUCTURE text per cold item: cold items are immutable and the meta cache hands out the same
 * object while it keeps it, so a message's text is built once (a client's header sync, a re-sync, another device)
 * and goes when the cold item leaves the cache. Building an ENVELOPE is most of a FETCH (ENVELOPE)'s CPU.
 */
const envelopeTexts = new WeakMap<MessageIndex, string>();
const bodystructureTexts = new WeakMap<MessageIndex, string>();

function kept(texts: WeakMap<MessageIndex, string>, index: MessageIndex, build: () => string): string {
  let text = texts.get(index);
  if (text === undefined) {
    text = build();
    texts.set(index, text);
  }
  return text;
}

/** Items answered from the cold item (or NIL without one); undefined for any other. */
function indexValue(view: MailboxView, row: MessageRow, item: FetchItem, index: MessageIndex | undefined): FetchValue | undefined {
  switch (item.item) {
    case 'THREADID':
      return { name: 'THREADID', id: index ? threadObjectId(index, view.emailIdAt(row.index)) : null };
    case 'PREVIEW':
      // RFC 8970: computed when the message was stored (src/mime/body-text.ts makePreview), so never lazy here.
      return { name: 'PREVIEW', text: index ? index.preview : null };
    case 'ENVELOPE':
      return { name: 'ENVELOPE', wire: index ? kept(envelopeTexts, index, () => envelopeWire(index.env)) : 'NIL' };
    case 'BODYSTRUCTURE':
      return { name: 'BODYSTRUCTURE', wire: index ? kept(bodystructureTexts, index, () => bodystructureWire(index.root)) : 'NIL' };
    case 'BODY':
      return { name: 'BODY', wire: index ? bodyNonExtensibleWire(index.root) : 'NIL' };
    default:
      return undefined;
  }
}

/** The values of items that read no body (view and cold-item items): no promise per message. */
function indexValues(view: MailboxView, row: MessageRow, items: readonly FetchItem[], index: MessageIndex | undefined): FetchValue[] {
  const values: FetchValue[] = [];
  for (const item of items) {
    const value = viewValue(view, row, item) ?? indexValue(view, row, item, index);
    if (value === undefined) throw bad('Fetch item not supported');
    values.push(value);
  }
  return values;
}

async function fetchValues(
  ctx: CommandContext,
  view: MailboxView,
  row: MessageRow,
  items: readonly FetchItem[],
  index: MessageIndex | undefined,
): Promise<FetchValue[]> {
  let source: BodySource | undefined;
  // Built on first use: only body sections need it, and the emailId of a packed column is decoded each time.
  const bodySource = (): BodySource => {
    if (source) return source;
    const emailId = view.emailIdAt(row.index);
    source = {
      blobPrefix: view.blobPrefix,
      emailId,
      size: view.sizeAt(row.index),
      index,
      open: (start, end) => ctx.deps.store.openBody(ctx.state.token, view.blobPrefix, emailId, { start, end }),
      read: (start, end) => ctx.deps.store.readBody(ctx.state.token, view.blobPrefix, emailId, { start, end }),
    };
    return source;
  };
  const values: FetchValue[] = [];
  for (const item of items) {
    const plain = viewValue(view, row, item) ?? indexValue(view, row, item, index);
    if (plain !== undefined) {
      values.push(plain);
      continue;
    }
    switch (item.item) {
      case 'BODY[]': {
        const body = await sectionBody(bodySource(), item.section, item.partial);
        values.push({ name: 'BODY[]', section: item.section, ...(item.partial ? { origin: item.partial.offset } : {}), body });
        break;
      }
      case 'BINARY[]': {
        // RFC 3516 §4.3: the decoded content; the encoder sends literal8 `~{n}` when it contains NUL.
        const decoded = decodedOrFail(await binaryBody(bodySource(), item.part));
        const body = decoded === null ? null : slicePartial(decoded, item.partial);
        values.push({ name: 'BINARY[]', part: item.part, ...(item.partial ? { origin: item.partial.offset } : {}), body });
        break;
      }
      case 'BINARY.SIZE': {
        const decoded = decodedOrFail(await binaryBody(bodySource(), item.part));
        values.push({ name: 'BINARY.SIZE', part: item.part, size: decoded === null ? 0 : decoded.length });
        break;
      }
      case 'RFC822':
        values.push({ name: 'RFC822', body: await sectionBody(bodySource(), { part: [] }, undefined) });
        break;
      case 'RFC822.HEADER':
        values.push({ name: 'RFC822.HEADER', body: await sectionBody(bodySource(), { part: [], text: { kind: 'HEADER' } }, undefined) });
        break;
      case 'RFC822.TEXT':
        values.push({ name: 'RFC822.TEXT', body: await sectionBody(bodySource(), { part: [], text: { kind: 'TEXT' } }, undefined) });
        break;
      default:
        throw bad('Fetch item not supported');
    }
  }
  return values;
}

/** RFC 3516 §4.3: "If the server does not know how to decode the section's CTE, it MUST fail the request and issue a
 * "NO" response that contains the "UNKNOWN-CTE" extended response code." */
function decodedOrFail(result: Buffer | null | 'unknown-cte'): Buffer | null {
  if (result === 'unknown-cte') throw no('UNKNOWN-CTE', 'Unknown Content-Transfer-Encoding');
  return result;
}
