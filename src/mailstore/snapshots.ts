// Index snapshots in the blob store (storage-design §C5 "Snapshots"): where a mailbox's current snapshot is, writing
// a new one, and dropping superseded ones. The pointer is its own small item `M#<id>/SNAP` {m: MODSEQ, k: blob key,
// t: when it last moved}, not a META attribute: only the commit protocol writes META (commit.ts), and a snapshot is
// never in a commit's critical path. A snapshot at MODSEQ m is correct for as long as the change log reaches back to
// m; a reader applies the tail after m (idempotently, as the fuzzy-checkpoint load does) and falls back to the full
// hot-item query when the log no longer reaches back.
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { ConditionFailedError } from '../storage/errors.js';
import type { KvItem } from '../storage/kv.js';
import type { StoreContext } from './context.js';
import type { HotColumns } from './hot-columns.js';
import { decodeSnapshot, encodeSnapshot, envelopeOf, ENVELOPE_BYTES, SnapshotFormatError, type DecodedSnapshot } from './index-snapshot.js';
import type { MailboxId, TenantId, UserId } from './ids.js';
import { blobKeys, keys } from './keys.js';

export interface SnapshotPointer {
  modseq: number;
  key: string;
  /** ms since epoch when the pointer last moved (the GC keeps the previous snapshot for a grace period after it). */
  movedAt: number;
}

/** When snapshots are written: after this many log entries since the last one, or for a mailbox this big without one. */
export interface SnapshotPolicy {
  everyEntries: number;
  minMessages: number;
}

export const DEFAULT_SNAPSHOT_POLICY: SnapshotPolicy = { everyEntries: 1000, minMessages: 5000 };

export function policyOf(ctx: StoreContext): SnapshotPolicy {
  return ctx.snapshots ?? DEFAULT_SNAPSHOT_POLICY;
}

export async function readPointer(ctx: StoreContext, mailboxId: MailboxId): Promise<SnapshotPointer | undefined> {
  // Eventually consistent is enough: any snapshot the log still reaches back to gives the right answer.
  return pointerOf(await ctx.kv.get('mail', keys.mailboxSnapshot(mailboxId)));
}

export function pointerOf(item: KvItem | undefined): SnapshotPointer | undefined {
  if (!item || typeof item.m !== 'number' || typeof item.k !== 'string') return undefined;
  return { modseq: item.m, key: item.k, movedAt: typeof item.t === 'number' ? item.t : 0 };
}

/**
 * A snapshot blob's bytes. Format 2 says its length in its first bytes (index-snapshot.ts), so the stream is copied
 * into one buffer of that size as it arrives — no list of chunks joined at the end, which for a 1M-message mailbox
 * would hold the blob twice at once. Format 1 (no envelope) is gathered and joined as before.
 */
export async function readSnapshotBytes(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  let into: Buffer | undefined;
  let legacy = false;
  for await (const chunk of stream) {
    const b = chunk as Buffer;
    if (into) {
      if (length + b.length > into.length) {
        stream.destroy();
        throw new SnapshotFormatError('index snapshot is longer than its envelope says');
      }
      into.set(b, length);
      length += b.length;
      continue;
    }
    chunks.push(b);
    length += b.length;
    if (legacy || length < ENVELOPE_BYTES) continue;
    const head = chunks.length === 1 ? b : Buffer.concat(chunks, length);
    const envelope = envelopeOf(head);
    if (!envelope) {
      legacy = true; // format 1: gather
      continue;
    }
    into = Buffer.allocUnsafe(ENVELOPE_BYTES + envelope.deflated);
    if (length > into.length) {
      stream.destroy();
      throw new SnapshotFormatError('index snapshot is longer than its envelope says');
    }
    into.set(head, 0);
    chunks.length = 0;
  }
  if (into) {
    if (length !== into.length) throw new SnapshotFormatError('index snapshot is truncated');
    return into;
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length);
}

/** The blob reader MailStoreClient uses for snapshots (kept under its old name). */
export const readBlob = readSnapshotBytes;

export async function readSnapshot(ctx: StoreContext, key: string): Promise<DecodedSnapshot> {
  return decodeSnapshot(await readSnapshotBytes(await ctx.blob.get(key)));
}

/**
 * Writes `columns` (the mailbox as of `modseq`) as a new immutable snapshot and moves the pointer to it unless it
 * already points at one as new or newer. Returns the pointer as it now is (ours or the newer one).
 */
export async function writeSnapshot(
  ctx: StoreContext,
  owner: { tenantId: TenantId; userId: UserId; mailboxId: MailboxId },
  columns: HotColumns,
  modseq: number,
): Promise<SnapshotPointer | undefined> {
  const body = encodeSnapshot(columns, modseq);
  const key = blobKeys.snapshot(owner.tenantId, owner.userId, owner.mailboxId, modseq, randomBytes(6).toString('hex'));
  await ctx.blob.put(key, body, body.length);
  const pointer: SnapshotPointer = { modseq, key, movedAt: Date.now() };
  try {
    await ctx.kv.put(
      'mail',
      { ...keys.mailboxSnapshot(owner.mailboxId), m: modseq, k: key, t: pointer.movedAt },
      { condition: { op: 'or', conditions: [{ op: 'notExists', attr: 'pk' }, { op: 'lt', attr: 'm', value: modseq }] } },
    );
    return pointer;
  } catch (err) {
    // A newer snapshot won: ours is unreferenced from birth and goes with the GC's next sweep of superseded ones.
    if (err instanceof ConditionFailedError) return readPointer(ctx, owner.mailboxId);
    throw err;
  }
}

// Snapshot writes run beside the request that asked for them (never in a commit); tests and shutdown wait here.
const running = new Set<Promise<unknown>>();
/** Mailboxes with a write under way in this process: one at a time per mailbox. */
const writing = new Set<string>();

/** Starts `write` unless one for the mailbox is already running; failures are reported, never thrown. */
export function writeInBackground(mailboxId: string, write: () => Promise<unknown>, onError?: (err: unknown) => void): void {
  if (writing.has(mailboxId)) return;
  writing.add(mailboxId);
  const p = write()
    .catch((err: unknown) => onError?.(err))
    .finally(() => {
      writing.delete(mailboxId);
      running.delete(p);
    });
  running.add(p);
}

/** Resolves when every snapshot write started so far has finished. */
export async function snapshotWritesSettled(): Promise<void> {
  while (running.size > 0) await Promise.all([...running]);
}

/**
 * Deletes the user's superseded snapshots: those that are not a live mailbox's current one, once the pointer moved
 * away from them more than the grace period ago (a reader may still be fetching one it was just pointed at), and
 * stray ones (a lost pointer race, a deleted mailbox) older than the grace.
 */
export async function sweepSnapshots(
  ctx: StoreContext,
  tenantId: TenantId,
  userId: UserId,
  cutoff: number,
  dryRun = false,
): Promise<number> {
  const prefix = blobKeys.snapshotsPrefix(tenantId, userId);
  const pointers = new Map<string, SnapshotPointer | undefined>();
  let deleted = 0;
  let cursor: string | undefined;
  do {
    const page = await ctx.blob.list(prefix, cursor === undefined ? {} : { cursor });
    for (const entry of page.entries) {
      const mailboxId = entry.key.slice(prefix.length).split('/')[0]!;
      if (!pointers.has(mailboxId)) {
        const meta = await ctx.kv.get('mail', keys.mailbox(mailboxId as MailboxId));
        const pointer = await readPointer(ctx, mailboxId as MailboxId);
        // A deleted mailbox has no current snapshot; its pointer item goes with its snapshots.
        if ((!meta || meta.state !== 'active') && pointer && !dryRun) await ctx.kv.delete('mail', keys.mailboxSnapshot(mailboxId as MailboxId));
        pointers.set(mailboxId, meta && meta.state === 'active' ? pointer : undefined);
      }
      const current = pointers.get(mailboxId);
      if (current?.key === entry.key) continue;
      if (entry.lastModified.getTime() >= cutoff) continue;
      if (current && current.movedAt >= cutoff) continue;
      deleted++;
      if (!dryRun) await ctx.blob.delete(entry.key);
    }
    cursor = page.cursor;
  } while (cursor);
  return deleted;
}
