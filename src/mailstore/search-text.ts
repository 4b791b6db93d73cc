// `message.searchText` (RFC 3501 / RFC 9051 §6.4.4 HEADER, FROM … SUBJECT, BODY, TEXT): the text keys of a SEARCH,
// answered by the store for the WHOLE mailbox, so the frontend needs no text of its own (cold items keep none since
// issue #8). Two parts:
//   - sealed messages (UID ≤ the directory's upTo) from the search segments (search-segments.ts): one GET per
//     segment, nothing when the process has it folded already;
//   - the unsealed tail (upTo < UID ≤ META.uidNext − 1, normally < SEAL_THRESHOLD messages) from the hot items (one
//     strongly consistent Query) and each message's doc (search-docs.ts: the process's cache, else the raw bytes;
//     for header keys alone, the cold items' header cache, one batched read per 100 instead of a GET each).
// A segment that cannot be read joins the tail: its messages are derived from their raw bytes like the tail's.
import type { KvItem } from '../storage/kv.js';
import { BlobNotFoundError } from '../storage/errors.js';
import { columnAnswers, columnMatches, foldBody, foldHeaders, foldKey, foldedKeyMatches, headerColumn, needsBody } from '../mime/search-match.js';
import type { FoldedHeaders, SearchHeaders, TextKey } from '../mime/search-match.js';
import type { ResponseOf } from './api.js';
import { metaFromItem } from './commit.js';
import type { Caller, StoreContext } from './context.js';
import { MailStoreError } from './errors.js';
import type { MailboxId } from './ids.js';
import { keys } from './keys.js';
import { requireRights } from './acl.js';
import { SEAL_THRESHOLD, directoryFromItem, foldedSegment, type FoldedSegment, type SegmentDirectory, type SegmentDoc } from './search-segments.js';
import { hotItems, sealMailbox, tailMessage } from './search-seal.js';
import { searchDocs, type TailMessage } from './search-docs.js';

/**
 * A tail longer than this is sealed before the search rather than derived message by message on every SEARCH. It
 * only happens while the background seal is behind (a big MOVE or COPY, whose commits trigger it, an import, a
 * seal that failed): deriving a doc costs a GET and an index, and the seal needs those docs
 * anyway, so paying for them once in the seal (which keeps them, in segments) beats paying again at every SEARCH.
 * Below it, `sealDue` asks the background seal as before.
 */
export const SEAL_FIRST_TAIL = 4 * SEAL_THRESHOLD;

export async function searchText(
  ctx: StoreContext,
  caller: Caller,
  input: { mailboxId: string; keys: TextKey[] },
): Promise<ResponseOf<'message.searchText'>> {
  const mailboxId = input.mailboxId as MailboxId;
  let items = await ctx.kv.batchGet('mail', [keys.mailbox(mailboxId), keys.searchDirectory(mailboxId)], { consistent: true });
  let metaItem = items.find((i) => i.sk === 'META');
  if (!metaItem || metaItem.state !== 'active') throw new MailStoreError('NONEXISTENT', 'Mailbox does not exist');
  requireRights(metaFromItem(metaItem), caller, 'r'); // RFC 4314 §4 SEARCH: "r"
  let dir = directoryFromItem(items.find((i) => i.sk === 'Q'));
  const tail = (meta: KvItem, d: SegmentDirectory): number => (meta.uidNext as number) - 1 - d.upTo;
  if (tail(metaItem, dir) > SEAL_FIRST_TAIL && (await sealedFirst(ctx, mailboxId))) {
    items = await ctx.kv.batchGet('mail', [keys.mailbox(mailboxId), keys.searchDirectory(mailboxId)], { consistent: true });
    metaItem = items.find((i) => i.sk === 'META');
    if (!metaItem || metaItem.state !== 'active') throw new MailStoreError('NONEXISTENT', 'Mailbox does not exist');
    dir = directoryFromItem(items.find((i) => i.sk === 'Q'));
  } else if (tail(metaItem, dir) >= SEAL_THRESHOLD) {
    ctx.sealDue?.(mailboxId); // the background seal (SQS in AWS) catches up; this search derives the tail meanwhile
  }
  const meta = metaFromItem(metaItem);
  const owner = { tenantId: meta.tenant, userId: meta.owner };
  const upTo = Math.max(dir.upTo, meta.uidNext - 1);
  const uids: number[][] = input.keys.map(() => []);
  const folded = input.keys.map(foldKey);
  const withBody = input.keys.some(needsBody);

  /** Ranges of UIDs to derive from raw bytes: unreadable segments, then the tail. */
  const derive: [number, number][] = [];
  for (const entry of dir.segments) {
    let segment: FoldedSegment;
    try {
      segment = await foldedSegment(ctx, owner, mailboxId, entry, withBody);
    } catch (err) {
      // Should not happen (a segment is swept only after its directory entry is gone and the grace period passed);
      // when it does, its messages are still found, from their raw bytes.
      if (!(err instanceof BlobNotFoundError)) throw err;
      derive.push([entry.from, entry.to]);
      continue;
    }
    const { heads, texts } = segment;
    for (let k = 0; k < folded.length; k++) {
      const key = folded[k]!;
      const out = uids[k]!;
      if (columnAnswers(key)) {
        segment.columns ??= new Map();
        let column = segment.columns.get(key.name);
        if (!column) segment.columns.set(key.name, (column = headerColumn(heads, key.name)));
        for (const d of columnMatches(column, key.folded)) out.push(segment.uids[d]!);
        continue;
      }
      for (let d = 0; d < heads.length; d++) if (foldedKeyMatches(key, heads[d]!, texts?.[d])) out.push(segment.uids[d]!);
    }
  }
  if (upTo > dir.upTo) derive.push([dir.upTo + 1, upTo]);
  for (const [from, to] of derive) {
    const messages = from === dir.upTo + 1 ? await tailOf(ctx, mailboxId, meta.modseq, from, to) : (await hotItems(ctx, mailboxId, from, to)).map(tailMessage);
    for (const doc of await searchDocs(ctx, owner, messages, withBody ? 'search' : 'headers')) {
      const { head, text } = foldedDoc(doc, withBody);
      for (let k = 0; k < folded.length; k++) if (foldedKeyMatches(folded[k]!, head, text)) uids[k]!.push(doc.uid);
    }
  }
  // An unreadable segment's messages came after the later segments' (UIDs ascend in every answer).
  if (derive.length > 1) for (const list of uids) list.sort((a, b) => a - b);
  return { upTo, uids };
}

/**
 * The tail's messages as last read per mailbox, with the MODSEQ and range they were read at: any commit that adds or
 * removes a message moves META's MODSEQ and a seal moves the directory's upTo, so the same (modseq, from, to) names
 * the same hot items, and a client's SEARCHes between two changes (FROM, SUBJECT, BODY in a row) query them once.
 */
let tailsByStore = new WeakMap<object, Map<string, { modseq: number; from: number; to: number; messages: TailMessage[] }>>();
const MAX_TAILS = 1024;

/** Forgets every tail read (bench/call-budget.ts measures each SEARCH as a process that never searched would run it). */
export function forgetSearchTails(): void {
  tailsByStore = new WeakMap();
}

async function tailOf(ctx: StoreContext, mailboxId: MailboxId, modseq: number, from: number, to: number): Promise<TailMessage[]> {
  let tails = tailsByStore.get(ctx.kv);
  if (!tails) tailsByStore.set(ctx.kv, (tails = new Map()));
  const known = tails.get(mailboxId);
  if (known && known.modseq === modseq && known.from === from && known.to === to) return known.messages;
  const messages = (await hotItems(ctx, mailboxId, from, to)).map(tailMessage);
  if (tails.size >= MAX_TAILS) tails.clear();
  tails.set(mailboxId, { modseq, from, to, messages });
  return messages;
}

/**
 * Folded forms of tail docs, by their header object (the same object while the doc stays in the process's cache,
 * search-docs.ts), so each doc is folded once rather than at every SEARCH; gone with the doc.
 */
const folds = new WeakMap<SearchHeaders, { head: FoldedHeaders; text?: string | null }>();

function foldedDoc(doc: SegmentDoc, withBody: boolean): { head: FoldedHeaders; text: string | null | undefined } {
  let f = folds.get(doc.hdr);
  if (!f) folds.set(doc.hdr, (f = { head: foldHeaders(doc.hdr) }));
  if (withBody && f.text === undefined) f.text = foldBody(doc.text);
  return { head: f.head, text: withBody ? f.text : undefined };
}

/**
 * Runs the seal before a SEARCH of a long tail. A seal that fails (a blob store error) does not fail the SEARCH: it
 * then derives the tail as for a short one — slower, never a different answer.
 */
async function sealedFirst(ctx: StoreContext, mailboxId: MailboxId): Promise<boolean> {
  try {
    await sealMailbox(ctx, mailboxId);
    return true;
  } catch {
    ctx.sealDue?.(mailboxId);
    return false;
  }
}
