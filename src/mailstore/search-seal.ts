// The seal: packs a mailbox's unsealed messages (UIDs above the directory's `upTo`) into search segments
// (search-segments.ts), off the request path. It never changes what a client sees — no MODSEQ, no META write — so it
// is not a mailbox commit: it writes new, uniquely named segment blobs, then swaps the directory item with a
// condition on the version it read. A seal that loses that race leaves blobs no directory names (gc.ts sweeps them);
// running it twice is harmless (the second finds nothing new). Races with APPEND and EXPUNGE lose nothing:
//   - `upTo` is META.uidNext − 1 read before the hot items, so a message appended meanwhile has a higher UID and
//     stays in the tail, matched by `message.searchText` from its raw bytes (search-docs.ts) until the next seal;
//   - a message expunged meanwhile may stay in a segment: the frontend only counts UIDs its view holds.
// Small segments are merged with their neighbours (the last one grows with each seal until it holds SEGMENT_DOCS);
// when more than half of the sealed messages are gone, the seal reads every live UID and rewrites the segments that
// are more than half dead.
import { Buffer } from 'node:buffer';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { KvItem } from '../storage/kv.js';
import { ConditionFailedError } from '../storage/errors.js';
import { metaFromItem, type MailboxMeta } from './commit.js';
import type { StoreContext } from './context.js';
import { newId, type MailboxId, type Uid } from './ids.js';
import { blobKeys, keys, uidFromSortKey } from './keys.js';
import { searchDocs, type TailMessage } from './search-docs.js';
import {
  SEAL_THRESHOLD,
  SEGMENT_DOCS,
  SEGMENT_TEXT_BYTES,
  directoryFromItem,
  directoryItem,
  encodeSegment,
  extendSegment,
  readSegment,
  readStoredSegment,
  rememberExtended,
  rememberSegment,
  storedDocs,
  type SegmentDirectory,
  type SegmentDoc,
  type SegmentEntry,
} from './search-segments.js';

/** Retired segments stay named in the directory this long, so GC keeps them for searches still reading them. */
const RETIRED_KEEP_MS = 35 * 24 * 3600 * 1000;

export interface SealOptions {
  /** Rewrite segments that are more than half dead even if fewer than half of all sealed messages are gone. */
  compact?: boolean;
  /** The clock (ms); tests move it. */
  now?: number;
  /** Messages per segment, at most (default SEGMENT_DOCS); tests make it small to get many segments. */
  segmentDocs?: number;
  /** Test seam: runs after the plan was made and before the directory swap (where a racing APPEND or seal hurts most). */
  beforeSwap?: () => Promise<void>;
}

export interface SealResult {
  /** Messages newly sealed. */
  sealed: number;
  /** Segment blobs written. */
  written: number;
  /** Segments superseded by this seal. */
  retired: number;
  upTo: number;
  /** Another seal swapped the directory first; this one changed nothing (its blobs are left to GC). */
  lost: boolean;
}

/** One piece of the plan: an existing segment, or the new messages. */
interface Unit {
  entry?: SegmentEntry;
  /** New messages (the tail), in UID order. */
  fresh?: TailMessage[];
  /** Live messages in it (all of them, unless the seal read the live UIDs). */
  live: number;
  /** Must be rewritten (new, or more than half dead). */
  dirty: boolean;
}

/** A hot item as the doc reader wants it (search-docs.ts). */
export function tailMessage(item: KvItem): TailMessage {
  return { uid: uidFromSortKey(item.sk) as number, emailId: item.e as string, size: item.z as number };
}

/** The hot items of UIDs from..to, read strongly (a message committed before the caller's META read is in it). */
export async function hotItems(ctx: StoreContext, mailboxId: MailboxId, from: number, to: number): Promise<KvItem[]> {
  const out: KvItem[] = [];
  if (from > to) return out;
  let cursor: string | undefined;
  do {
    const page = await ctx.kv.query('mail', {
      pk: `M#${mailboxId}`,
      sk: { between: [keys.message(mailboxId, from as Uid).sk, keys.message(mailboxId, to as Uid).sk] },
      consistent: true,
      cursor,
    });
    out.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  return out;
}

/**
 * Groups the units into segments-to-be, in UID order, each ≤ `size` live messages. A group that is one clean segment
 * stays as it is; any other is rewritten. A segment at least half full never joins the group before it (no rewrite
 * for nothing), but the units after it join it while they fit: so the last segment grows with each seal until full.
 */
function plan(units: Unit[], size: number): Unit[][] {
  const groups: Unit[][] = [];
  let current: Unit[] = [];
  let live = 0;
  const flush = (): void => {
    if (current.length > 0) groups.push(current);
    current = [];
    live = 0;
  };
  for (const unit of units) {
    if (live + unit.live > size || (!unit.dirty && unit.live * 2 >= size)) flush();
    current.push(unit);
    live += unit.live;
  }
  flush();
  return groups;
}

/** Splits docs into segments of ≤ `size` messages and ≤ SEGMENT_TEXT_BYTES of text. */
function chunkDocs(docs: SegmentDoc[], size: number): SegmentDoc[][] {
  const out: SegmentDoc[][] = [];
  let current: SegmentDoc[] = [];
  let bytes = 0;
  for (const doc of docs) {
    const textBytes = doc.text === null ? 0 : Buffer.byteLength(doc.text);
    if (current.length >= size || (current.length > 0 && bytes + textBytes > SEGMENT_TEXT_BYTES)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(doc);
    bytes += textBytes;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** Seals the mailbox's unsealed messages (see the header). Idempotent; safe to run concurrently with anything. */
export async function sealMailbox(ctx: StoreContext, mailboxId: MailboxId, options: SealOptions = {}): Promise<SealResult> {
  const now = options.now ?? Date.now();
  const size = options.segmentDocs ?? SEGMENT_DOCS;
  const [metaItem, dirItem] = await Promise.all([
    ctx.kv.get('mail', keys.mailbox(mailboxId), { consistent: true }),
    ctx.kv.get('mail', keys.searchDirectory(mailboxId), { consistent: true }),
  ]);
  const nothing: SealResult = { sealed: 0, written: 0, retired: 0, upTo: 0, lost: false };
  if (!metaItem || metaItem.state !== 'active') return nothing;
  const meta: MailboxMeta = metaFromItem(metaItem);
  const dir = directoryFromItem(dirItem);
  const target = meta.uidNext - 1;
  const fresh: TailMessage[] = (await hotItems(ctx, mailboxId, dir.upTo + 1, target)).map(tailMessage);
  // The seal runs beside live traffic on the server's thread: between its steps it lets waiting commands run (an
  // embedded store answers without a turn of the event loop, so without these the whole seal is one long task).
  await yieldToEventLoop();

  // Dead messages in segments: sealed − (live − live unsealed), an estimate good enough to decide on a full read.
  const sealedDocs = dir.segments.reduce((n, s) => n + s.docs, 0);
  const dead = sealedDocs - Math.max(0, meta.messages - fresh.length);
  let liveUids: Set<number> | undefined;
  if (dir.segments.length > 0 && (options.compact || (dead > sealedDocs / 2 && dead >= SEAL_THRESHOLD))) {
    liveUids = new Set((await hotItems(ctx, mailboxId, 1, dir.upTo)).map((i) => uidFromSortKey(i.sk) as number));
  }
  const units: Unit[] = dir.segments.map((entry) => {
    if (!liveUids) return { entry, live: entry.docs, dirty: false };
    let live = 0;
    for (const uid of liveUids) if (uid >= entry.from && uid <= entry.to) live++;
    return { entry, live, dirty: live * 2 < entry.docs };
  });
  // The first new messages top up the last segment to `size` exactly; the rest go in units of `size` (a mailbox
  // sealed for the first time may have thousands of new messages: a unit per segment keeps memory bounded).
  const last = units[units.length - 1];
  let first = last && last.live < size ? size - last.live : size;
  for (let i = 0; i < fresh.length; i += first, first = size) {
    const part = fresh.slice(i, i + first);
    units.push({ fresh: part, live: part.length, dirty: true });
  }
  if (!units.some((u) => u.dirty)) return { ...nothing, upTo: dir.upTo };

  const owner = { tenantId: meta.tenant, userId: meta.owner };
  const segments: SegmentEntry[] = [];
  const retired: string[] = [];
  let written = 0;
  /** Writes docs (in UID order) as new segments; returns how many. */
  const pack = async (docs: SegmentDoc[]): Promise<number> => {
    let count = 0;
    for (const chunk of chunkDocs(docs, size)) {
      const id = newId(now);
      const { bytes, headerBytes } = await encodeSegment(chunk);
      const key = blobKeys.searchSegment(owner.tenantId, owner.userId, mailboxId, id);
      await ctx.blob.put(key, bytes, bytes.length);
      await rememberSegment(key, chunk); // the next text SEARCH in this process decodes nothing
      segments.push({ id, from: chunk[0]!.uid, to: chunk[chunk.length - 1]!.uid, docs: chunk.length, headerBytes, bytes: bytes.length });
      count++;
    }
    return count;
  };
  for (const group of plan(units, size)) {
    if (group.length === 1 && group[0]!.entry && !group[0]!.dirty) {
      segments.push(group[0]!.entry);
      continue;
    }
    // The usual seal: the last segment topped up with new messages. Its body is extended, not re-compressed.
    const [head, ...rest] = group;
    if (!liveUids && head?.entry && !head.dirty && rest.length > 0 && rest.every((u) => u.fresh)) {
      retired.push(head.entry.id);
      const stored = await readStoredSegment(ctx, owner, mailboxId, head.entry);
      await yieldToEventLoop();
      const fresh: SegmentDoc[] = [];
      for (const unit of rest) fresh.push(...(await searchDocs(ctx, owner, unit.fresh!, 'seal')));
      const extended = await extendSegment(stored, fresh);
      if (extended) {
        const id = newId(now);
        const key = blobKeys.searchSegment(owner.tenantId, owner.userId, mailboxId, id);
        await ctx.blob.put(key, extended.bytes, extended.bytes.length);
        await rememberExtended(blobKeys.searchSegment(owner.tenantId, owner.userId, mailboxId, head.entry.id), key, fresh);
        const docs = stored.header.u.length + fresh.length;
        segments.push({ id, from: head.entry.from, to: fresh[fresh.length - 1]!.uid, docs, headerBytes: extended.headerBytes, bytes: extended.bytes.length });
        written++;
        continue;
      }
      written += await pack([...storedDocs(stored), ...fresh]);
      continue;
    }
    const docs: SegmentDoc[] = [];
    for (const unit of group) {
      if (unit.fresh) docs.push(...(await searchDocs(ctx, owner, unit.fresh, 'seal')));
      else if (unit.entry) {
        retired.push(unit.entry.id);
        if (unit.live === 0) continue;
        const old = await readSegment(ctx, owner, mailboxId, unit.entry, true);
        docs.push(...(liveUids ? old.filter((d) => liveUids.has(d.uid)) : old));
      }
    }
    written += await pack(docs);
  }
  await options.beforeSwap?.();
  const next: SegmentDirectory = {
    version: dir.version + 1,
    upTo: Math.max(dir.upTo, target),
    segments,
    retired: [...dir.retired.filter((r) => now - r.at < RETIRED_KEEP_MS), ...retired.map((id) => ({ id, at: now }))],
  };
  try {
    await ctx.kv.put('mail', directoryItem(mailboxId, next), {
      condition: dir.version === 0 ? { op: 'notExists', attr: 'pk' } : { op: 'eq', attr: 'v', value: dir.version },
    });
  } catch (err) {
    if (err instanceof ConditionFailedError) return { sealed: 0, written, retired: 0, upTo: dir.upTo, lost: true };
    throw err;
  }
  return { sealed: fresh.length, written, retired: retired.length, upTo: next.upTo, lost: false };
}

/** Seals due mailboxes one at a time, in the background of this process; a request for a queued mailbox is merged. */
export class SealQueue {
  private readonly queued = new Set<string>();
  private running: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly ctx: StoreContext,
    private readonly onError: (err: unknown, mailboxId: string) => void = () => undefined,
  ) {}

  /** A commit allocated UIDs [from, to): every SEAL_THRESHOLD UIDs, the mailbox is due (no read to find out). */
  allocated(mailboxId: string, from: number, to: number): void {
    if (Math.floor((to - 1) / SEAL_THRESHOLD) > Math.floor((from - 1) / SEAL_THRESHOLD)) this.request(mailboxId);
  }

  request(mailboxId: string): void {
    if (this.closed) return;
    this.queued.add(mailboxId);
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
    });
  }

  /** Resolves once nothing is queued or running. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.idle();
  }

  private async drain(): Promise<void> {
    await new Promise((r) => setImmediate(r)); // after the commit's own reply
    for (;;) {
      const next = this.queued.values().next();
      if (next.done) return;
      this.queued.delete(next.value);
      try {
        await sealMailbox(this.ctx, next.value as MailboxId);
      } catch (err) {
        this.onError(err, next.value);
      }
    }
  }
}
