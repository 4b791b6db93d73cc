// Messages: APPEND, COPY and the cold-item read (STORE and EXPUNGE: store-expunge.ts). Every change goes through
// commitMailbox; bytes are written to the blob store before the commit and are harmless if the commit never happens
// (GC sweeps them).
import { Buffer } from 'node:buffer';
import { KV_LIMITS, type KvItem, type KvKey, type TxAction } from '../storage/kv.js';
import { inflateRawSync } from 'node:zlib';
import { indexMessage, threadKey } from '../mime/index.js';
import type { MessageIndex } from '../mime/types.js';
import type { HotList, LogEntry, ResponseOf } from './api.js';
import { commitMailbox, metaFromItem, type MailboxMeta, type UsageDelta } from './commit.js';
import type { Caller, StoreContext } from './context.js';
import { MailStoreError } from './errors.js';
import { BlobNotFoundError } from '../storage/errors.js';
import type { BlobBytes, BlobStore } from '../storage/blob.js';
import { newEmailId, type EmailId, type MailboxId, type TenantId, type Uid, type UserId } from './ids.js';
import { blobKeys, keys } from './keys.js';
import { coldIndexWithoutText, coldItem } from './cold-item.js';
import { appendHot, countersOf, emptyHotList, resolvePath, statusOf } from './mailboxes.js';
import { namespacePath } from './acl-paths.js';
import { parseFlags } from './flags.js';
import { limitsOf, usageLimits } from './quota.js';
import { maskFlags, requireRights } from './acl.js';
import { maskNewFlags, transferMessages } from './acl-copy.js';
import { readableOwners } from './acl-list.js';
import { lookupRoom, threadLookup } from './thread-ids.js';
import { expungeMessages, readHot, storeFlags } from './store-expunge.js';
import { OwnChangeRun } from './own-change.js';

/** Messages per transaction: leaves room for META, the log item and the usage update within 100 actions (§C3). */
const BATCH = 95;

const chunks = <T>(list: T[], size: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
};

/**
 * The stream's bytes, at most `limit` of them (LIMIT beyond). Read with 'data' events rather than an async iterator,
 * whose setup costs more than reading the one chunk most messages are (issue #8: 5–20 µs per APPEND).
 */
function readAll(stream: NodeJS.ReadableStream, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let total = 0;
    let settled = false;
    const settle = (err: unknown, bytes?: Buffer): void => {
      if (settled) return;
      settled = true;
      stream.removeListener('data', onData);
      if (bytes !== undefined) resolve(bytes);
      else reject(err);
    };
    const onData = (chunk: string | Buffer): void => {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      total += buf.length;
      if (total > limit) {
        settle(new MailStoreError('LIMIT', 'Message is too large'));
        (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
        return;
      }
      parts.push(buf);
    };
    stream.on('data', onData);
    stream.once('end', () => settle(undefined, parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, total)));
    stream.on('error', (err) => settle(err)); // stays attached: an error after we settled is not unhandled
    stream.once('close', () => settle(new Error('The stream closed before its end')));
  });
}

/**
 * The staged bytes of an APPEND (or of a delivery's first copy, delivery-ops.ts), exactly `size` of them
 * (BADREQUEST when missing or of another length). One GET answers what a HEAD before it would (there, whole): one
 * blob call less per message.
 */
export async function readStaged(ctx: StoreContext, key: string, size: number): Promise<Buffer> {
  const incomplete = (): MailStoreError => new MailStoreError('BADREQUEST', 'Message bytes are missing or incomplete');
  const blob = ctx.blob as BlobStore & Partial<BlobBytes>;
  let raw: Buffer;
  try {
    // size + 1 bytes at most: an over-long object shows as one byte too many, without reading it whole.
    raw = blob.getBytes !== undefined ? await blob.getBytes(key, { start: 0, end: size }) : await readAll(await blob.get(key), size);
  } catch (err) {
    if (err instanceof BlobNotFoundError) throw incomplete();
    if (err instanceof MailStoreError && err.code === 'LIMIT') throw incomplete();
    throw err;
  }
  if (raw.length !== size) throw incomplete();
  return raw;
}

export function prepareAppend(ctx: StoreContext, caller: Caller, size: number): ResponseOf<'message.prepareAppend'> {
  if (size > ctx.maxMessageBytes) throw new MailStoreError('LIMIT', `Message is larger than ${ctx.maxMessageBytes} bytes`);
  const emailId = newEmailId();
  return { emailId, blobKey: blobKeys.message(caller.tenantId, caller.userId, emailId) };
}

/**
 * APPEND (§C4): the bytes are already in the blob store. Index them, write the immutable cold item, then commit the
 * hot item, log entry, counters and usage in one transaction that allocates the UID. With `more` (MULTIAPPEND,
 * RFC 3502) every message is indexed first and all are committed in that one transaction: all or nothing.
 * Everything the commit depends on is read in ONE strongly consistent batchGet once the bytes are indexed: the
 * mailbox (its META when the frontend's `mailboxId` hint is given, else its name item), the owner's quota limits and
 * the thread lookups (thread-ids.ts) — one KV call where there were three or four.
 */
export async function appendMessage(
  ctx: StoreContext,
  caller: Caller,
  input: { path: string; emailId: string; size: number; flags: string[]; internalDate: number; mailboxId?: string; more?: AppendItem[] },
): Promise<ResponseOf<'message.append'>> {
  const items: AppendItem[] = [input, ...(input.more ?? [])];
  if (items.length > BATCH) throw new MailStoreError('LIMIT', `At most ${BATCH} messages in one APPEND`);
  // Any namespace (acl-paths.ts): no read for the caller's own and the tenant's Shared/ mailboxes.
  const { owner, ownerPath, prefix } = await namespacePath(ctx, caller, input.path);
  const raws: Buffer[] = [];
  const cold: ColdParts[] = [];
  for (const item of items) {
    const raw = await readStaged(ctx, blobKeys.message(caller.tenantId, caller.userId, item.emailId as EmailId), item.size);
    raws.push(raw);
    cold.push(coldParts(raw));
  }
  const hinted = input.mailboxId as MailboxId | undefined;
  const mailboxKey = hinted !== undefined ? keys.mailbox(hinted) : keys.mailboxName(owner, ownerPath);
  const userKey = keys.user(owner);
  // RFC 8474 THREADID through earlier messages (thread-ids.ts): the lookup items ride in this read and in the commit.
  const lookup = threadLookup(owner, cold.map((c) => c.index.hdr), KV_LIMITS.maxBatchGetKeys - 2);
  const read = await ctx.kv.batchGet('mail', [mailboxKey, userKey, ...lookup.keys], { consistent: true });
  const found = (key: KvKey): KvItem | undefined => read.find((i) => i.pk === key.pk && i.sk === key.sk);
  const { mailboxId, meta: known } = await appendTarget(ctx, { owner, ownerPath, prefix }, hinted, found(mailboxKey));
  const commits: AppendCommitInput[] = [];
  for (const [i, item] of items.entries()) {
    const emailId = item.emailId as EmailId;
    const raw = raws[i]!;
    // Into another user's shared mailbox (RFC 4314 "i"): the bytes and cold item move under the owner (acl-copy.ts).
    if (owner !== caller.userId) await ctx.blob.put(blobKeys.message(caller.tenantId, owner, emailId), raw, raw.length);
    const { bits, keywords } = parseFlags(item.flags);
    commits.push({ emailId, size: item.size, bits, keywords, internalDate: item.internalDate });
  }
  const threads = lookup.resolve(read);
  for (const [i, c] of commits.entries()) await putColdItem(ctx, caller.tenantId, owner, c.emailId, cold[i]!, threads.threads[i]);
  const limits = limitsOf(found(userKey)); // hard quota: the usage update is conditioned on these
  if (commits.length === 1 && owner === caller.userId) {
    const extraActions = (): TxAction[] => threads.lookupActions(lookupRoom(1));
    const c = commits[0] as AppendCommitInput;
    const done = await commitAppend(ctx, caller.userId, mailboxId, caller.session, c, { limits, extraActions, ...(known ? { meta: known } : {}) });
    const out = { mailboxId, uid: done.uid, uids: [done.uid], uidValidity: done.uidValidity, modseq: done.modseq };
    if (!done.meta || done.saveDate === undefined) return out;
    const log = { u: [done.uid], e: [c.emailId], f: [c.bits], k: [c.keywords], z: [c.size], d: [c.internalDate], s: [done.saveDate] };
    return { ...out, change: { entry: appendedEntry(done.modseq, caller.session, log), status: statusOf(done.meta) } };
  }
  const done = await commitMailbox(ctx, mailboxId, caller.session, async (meta) => {
    const rights = requireRights(meta, caller, 'i'); // RFC 4314 §4 APPEND: "i", flags only with s / t / w
    for (const c of commits) Object.assign(c, maskFlags(rights, { bits: 0, keywords: [] }, c));
    const first = meta.uidNext as number;
    const modseq = meta.modseq + 1;
    const saved = Date.now(); // RFC 8514 §3: the save date is when the message is put into this mailbox
    const grown = [...new Set(commits.flatMap((c) => c.keywords))].filter((k) => !meta.keywords.includes(k));
    let unseen = 0;
    let deleted = 0;
    let bytes = 0;
    const actions: TxAction[] = commits.map((c, i) => {
      const counters = countersOf(c.bits);
      unseen += counters.unseen;
      deleted += counters.deleted;
      bytes += c.size;
      const item = { ...keys.message(mailboxId, (first + i) as Uid), e: c.emailId, f: c.bits, k: c.keywords, m: modseq, z: c.size, d: c.internalDate, s: saved };
      return { type: 'put', table: 'mail', item, condition: { op: 'notExists', attr: 'pk' } };
    });
    actions.push(...threads.lookupActions(lookupRoom(commits.length)));
    const uids = commits.map((_, i) => first + i);
    const log: AppendLog = {
      u: uids,
      e: commits.map((c) => c.emailId),
      f: commits.map((c) => c.bits),
      k: commits.map((c) => c.keywords),
      z: commits.map((c) => c.size),
      d: commits.map((c) => c.internalDate),
      s: commits.map(() => saved),
    };
    return {
      actions,
      uidsAllocated: commits.length,
      counters: { messages: commits.length, unseen, deleted, bytes },
      keywords: grown.length > 0 ? [...meta.keywords, ...grown] : undefined,
      log: { op: 'A', ...log },
      usage: { bytes, messages: commits.length, limits },
      result: { uids, uidValidity: meta.uidValidity, modseq, log },
    };
  }, known);
  const { uids, uidValidity, modseq, log } = done.result;
  const change = { entry: appendedEntry(modseq, caller.session, log), status: statusOf(done.meta) };
  return { mailboxId, uid: uids[0] as number, uids, uidValidity, modseq, change };
}

/** The log entry of an APPEND commit as `mailbox.changes` gives it (mailboxes.ts entryOf), from the payload written. */
function appendedEntry(modseq: number, by: string, log: AppendLog): LogEntry {
  return {
    modseq,
    op: 'A',
    by,
    added: { uids: log.u, flags: log.f, keywords: log.k, modseqs: log.u.map(() => modseq), sizes: log.z, dates: log.d, emailIds: log.e, saveDates: log.s },
  };
}

/** The change-log payload of an APPEND (`L#` item, op A). */
interface AppendLog {
  u: number[];
  e: string[];
  f: number[];
  k: string[][];
  z: number[];
  d: number[];
  s: number[];
}

/**
 * The mailbox an APPEND commits to, from what appendMessage's batchGet found at `mailboxKey`: META when the frontend
 * sent its `mailboxId` hint, else the name item. The hint stands when META is active, of this owner and at this
 * path: RENAME and DELETE change META's path and state in the same transaction as the name items (mailboxes.ts
 * statusByKnownId relies on the same), and the commit's CAS on META's modseq keeps it so until the message is in.
 * Anything else (renamed away, deleted, another owner's id) costs one more read: the name item, as without a hint.
 */
async function appendTarget(
  ctx: StoreContext,
  ns: { owner: UserId; ownerPath: string; prefix: string },
  hinted: MailboxId | undefined,
  read: KvItem | undefined,
): Promise<{ mailboxId: MailboxId; meta?: KvItem }> {
  if (hinted !== undefined && read && read.state === 'active' && read.owner === ns.owner && read.path === ns.ownerPath) {
    return { mailboxId: hinted, meta: read };
  }
  const name = hinted === undefined ? read : await ctx.kv.get('mail', keys.mailboxName(ns.owner, ns.ownerPath), { consistent: true });
  if (!name) throw new MailStoreError('TRYCREATE', `Mailbox doesn't exist: ${ns.prefix + ns.ownerPath}`);
  return { mailboxId: name.mailboxId as MailboxId };
}

/**
 * The MessageIndex of a cold item. Items written since issue #8 hold no text (`text` is ""): text keys are answered
 * by the store (`message.searchText`, search-text.ts) for the whole mailbox. Older items keep their deflated text
 * (`tz`), inflated on first read of `text` only (FETCH ENVELOPE / BODYSTRUCTURE and header SEARCH never read it). The
 * lazy `text` is an enumerable getter, so JSON (Lambda, the wire-form inline invoker), structured clones (function
 * threads) and spreads see a plain string, inflated then.
 */
function coldIndex(item: KvItem): MessageIndex {
  const index = coldIndexWithoutText(item); // either stored form (cold-item.ts)
  const tz = item.tz;
  if (!(tz instanceof Uint8Array)) return index;
  // The accessor in the literal, memoized in the closure: redefining `text` on the object (defineProperty) would
  // turn it into a dictionary-mode object, slower to read `env` and `hdr` from on every FETCH and SEARCH.
  const { text: _stored, ...rest } = index;
  let text: string | undefined;
  return {
    ...rest,
    get text(): string {
      return (text ??= inflateRawSync(tz).toString('utf8'));
    },
    set text(value: string) {
      text = value;
    },
  };
}

/** One message of an APPEND whose bytes are already in the blob store. */
export interface AppendItem {
  emailId: string;
  size: number;
  flags: string[];
  internalDate: number;
}

/** A cold item's content, built from the stored bytes before it is written (the thread may still be resolved). */
export interface ColdParts {
  index: Omit<MessageIndex, 'text'>;
  /**
   * The decoded text (for SEARCH BODY/TEXT): not written (issue #8: it was most of a cold item's bytes, stored only
   * for the unsealed tail); handed to the process's FreshDocCache (search-fresh-docs.ts) for the tail and the seal.
   */
  text: string;
}

const SURROGATE = /[\ud800-\udfff]/;

/**
 * §C4 step 2a: indexes the stored bytes. The one code path from raw bytes to searchable text: APPEND, delivery, fsck
 * and a SEARCH or seal that derives a tail message's text from its raw bytes (search-docs.ts) all come here.
 */
export function coldParts(raw: Buffer): ColdParts {
  const { text, ...index } = indexMessage(raw);
  // A segment stores text as UTF-8 (search-segments.ts), which turns a lone surrogate into U+FFFD: the text matched
  // before the seal must be what the segment gives back after it.
  return { index, text: SURROGATE.test(text) ? Buffer.from(text, 'utf8').toString('utf8') : text };
}

/**
 * §C4 step 2b: writes the immutable cold item of `emailId`. `thread` (thread-ids.ts) is kept only when it differs
 * from what the message's own header fields name, so most cold items are as they always were.
 */
export async function putColdItem(
  ctx: StoreContext,
  tenantId: TenantId,
  userId: UserId,
  emailId: EmailId,
  parts: ColdParts,
  thread?: string | null,
): Promise<void> {
  const own = threadKey(parts.index.hdr);
  const index: MessageIndex = { ...parts.index, ...(thread && thread !== own ? { thread } : {}), text: '' };
  await ctx.kv.put('msgmeta', coldItem(emailId, userId, tenantId, index)); // its stored form: cold-item.ts
  const { from, to, cc, bcc, subject, fields } = parts.index.hdr;
  ctx.freshDocs?.put(emailId, { hdr: { from, to, cc, bcc, subject, fields }, text: parts.text.length > 0 ? parts.text : null });
}

/** §C4 step 2 in one go, for a message whose thread needs no lookup (tests, tools). */
export async function writeColdItem(ctx: StoreContext, tenantId: TenantId, userId: UserId, emailId: EmailId, raw: Buffer): Promise<void> {
  await putColdItem(ctx, tenantId, userId, emailId, coldParts(raw));
}


export interface AppendCommitInput {
  emailId: EmailId;
  size: number;
  bits: number;
  keywords: string[];
  internalDate: number;
}

export interface AppendCommitOptions {
  /** The owner's quota limits: the usage update is conditioned on them (hard quota, §C3). */
  limits?: UsageDelta['limits'];
  /** Items that commit together with the message (e.g. delivery's idempotency marker), given the allocated UID. */
  extraActions?: (uid: Uid, uidValidity: number) => TxAction[];
  /** Asked before every attempt: an answer means the append already happened, and nothing is committed. */
  alreadyDone?: () => Promise<AppendCommitted | undefined>;
  /** The mailbox's META as just read strongly (batched with other reads): the first attempt plans on it. */
  meta?: KvItem;
}

export interface AppendCommitted {
  uid: number;
  uidValidity: number;
  modseq: number;
  /** False when `alreadyDone` answered: this call committed nothing. */
  committed: boolean;
  /** When this call committed: the message's save date (RFC 8514) and the mailbox's META after the commit. */
  saveDate?: number;
  meta?: MailboxMeta;
}

/**
 * §C4 step 3, for bytes and cold item already stored: one transaction allocates the UID and writes the hot item, the
 * log entry, the counters and the owner's usage (APPEND and delivery both commit through here).
 */
export async function commitAppend(
  ctx: StoreContext,
  owner: UserId,
  mailboxId: MailboxId,
  by: string,
  input: AppendCommitInput,
  options: AppendCommitOptions = {},
): Promise<AppendCommitted> {
  const { emailId, size, bits, keywords, internalDate } = input;
  const done = await commitMailbox(ctx, mailboxId, by, async (meta) => {
    if (meta.owner !== owner) throw new MailStoreError('NONEXISTENT', 'Mailbox does not exist');
    const earlier = options.alreadyDone ? await options.alreadyDone() : undefined;
    if (earlier) return { noChange: true, result: earlier };
    const uid = meta.uidNext as Uid;
    const modseq = meta.modseq + 1;
    const grown = keywords.filter((k) => !meta.keywords.includes(k));
    const { unseen, deleted } = countersOf(bits);
    const saved = Date.now(); // RFC 8514 §3 save date
    return {
      actions: [
        {
          type: 'put',
          table: 'mail',
          item: { ...keys.message(mailboxId, uid), e: emailId, f: bits, k: keywords, m: modseq, z: size, d: internalDate, s: saved },
          condition: { op: 'notExists', attr: 'pk' },
        },
        ...(options.extraActions ? options.extraActions(uid, meta.uidValidity) : []),
      ],
      uidsAllocated: 1,
      counters: { messages: 1, unseen, deleted, bytes: size },
      keywords: grown.length > 0 ? [...meta.keywords, ...grown] : undefined,
      log: { op: 'A', u: [uid], e: [emailId], f: [bits], k: [keywords], z: [size], d: [internalDate], s: [saved] },
      usage: { bytes: size, messages: 1, limits: options.limits },
      result: { uid, uidValidity: meta.uidValidity, modseq, committed: true, saveDate: saved },
    };
  }, options.meta);
  return done.committed ? { ...done.result, meta: done.meta } : done.result;
}

/**
 * COPY (§C4): hot items only; the destination gets a contiguous UID block in source-UID order and points at the same
 * emailIds (same owner, so the same blobs). A later batch failing undoes the earlier ones (R15).
 */
export async function copyMessages(
  ctx: StoreContext,
  caller: Caller,
  input: { mailboxId: string; uids: number[]; to: string },
): Promise<ResponseOf<'message.copy'>> {
  const source = input.mailboxId as MailboxId;
  const { mailboxId: target, owner } = await resolvePath(ctx, caller, input.to, 'TRYCREATE');
  const src = await ctx.kv.get('mail', keys.mailbox(source), { consistent: true });
  if (!src || src.state !== 'active') throw new MailStoreError('NONEXISTENT', 'Mailbox does not exist');
  requireRights(metaFromItem(src), caller, 'r');
  const limits = await usageLimits(ctx, owner); // hard quota: the usage update is conditioned on these
  const out: ResponseOf<'message.copy'> = { uidValidity: 0, source: [], destination: [] };
  const committed: number[] = [];
  const run = new OwnChangeRun(); // the destination's log entries, for the frontend's mailbox cache (own-change.ts)
  try {
    for (const part of chunks([...new Set(input.uids)].sort((a, b) => a - b), BATCH)) {
      const items = await readHot(ctx, source, part);
      const present = part.filter((u) => items.has(u));
      if (present.length === 0) continue;
      if (src.owner !== owner) await transferMessages(ctx, caller.tenantId, src.owner as UserId, owner, items.values());
      const done = await commitMailbox(ctx, target, caller.session, async (meta) => {
        maskNewFlags(requireRights(meta, caller, 'i'), items.values()); // RFC 4314 §4 COPY: "i", flags only with s / t / w
        const modseq = meta.modseq + 1;
        const saved = Date.now(); // RFC 8514 §3: a copy gets a new save date, the source keeps its own
        const added: HotList = emptyHotList();
        const actions: TxAction[] = [];
        let bytes = 0;
        let unseen = 0;
        let deleted = 0;
        const grown = new Set<string>();
        present.forEach((u, i) => {
          const item = items.get(u)!;
          const uid = (meta.uidNext + i) as Uid;
          const copy: KvItem = { ...keys.message(target, uid), e: item.e!, f: item.f!, k: item.k ?? [], m: modseq, z: item.z!, d: item.d!, s: saved };
          actions.push({ type: 'put', table: 'mail', item: copy, condition: { op: 'notExists', attr: 'pk' } });
          appendHot(added, copy);
          bytes += item.z as number;
          const c = countersOf(item.f as number);
          unseen += c.unseen;
          deleted += c.deleted;
          for (const k of (item.k as string[] | undefined) ?? []) if (!meta.keywords.includes(k)) grown.add(k);
        });
        return {
          actions,
          uidsAllocated: present.length,
          counters: { messages: present.length, unseen, deleted, bytes },
          keywords: grown.size > 0 ? [...meta.keywords, ...grown] : undefined,
          log: { op: 'A', u: added.uids, e: added.emailIds, f: added.flags, k: added.keywords, z: added.sizes, d: added.dates, s: added.saveDates ?? [] },
          usage: { bytes, messages: present.length, limits },
          result: { uidValidity: meta.uidValidity, uids: added.uids, added },
        };
      });
      out.uidValidity = done.result.uidValidity;
      out.source.push(...present);
      out.destination.push(...done.result.uids);
      committed.push(...done.result.uids);
      run.add({ modseq: done.modseq, op: 'A', by: caller.session, added: done.result.added }, done.meta);
    }
  } catch (err) {
    if (committed.length > 0) await undoCopy(ctx, caller, target, committed);
    throw err;
  }
  if (out.uidValidity === 0) out.uidValidity = (await ctx.kv.get('mail', keys.mailbox(target), { consistent: true }))?.uidValidity as number;
  const change = run.change();
  return change ? { ...out, change } : out;
}

/** Compensation for a COPY whose later batch failed: the destination holds what it held before (UIDNEXT moved on). */
async function undoCopy(ctx: StoreContext, caller: Caller, mailboxId: MailboxId, uids: number[]): Promise<void> {
  await storeFlags(ctx, caller, { mailboxId, uids, mode: 'add', flags: ['\\Deleted'] });
  await expungeMessages(ctx, caller, { mailboxId, uids });
}

/** Cold items for FETCH ENVELOPE / BODYSTRUCTURE / sections and SEARCH: one batched read per 100 messages. */
export async function messageMeta(ctx: StoreContext, caller: Caller, emailIds: string[]): Promise<ResponseOf<'message.meta'>> {
  const items: Record<string, MessageIndex> = {};
  const wanted = [...new Set(emailIds)];
  let readable: Set<string> | undefined;
  for (const part of chunks(wanted, 100)) {
    const keysWanted: KvKey[] = part.map((e) => keys.cold(e as EmailId));
    let found = await ctx.kv.batchGet('msgmeta', keysWanted);
    if (found.length < part.length) found = await ctx.kv.batchGet('msgmeta', keysWanted, { consistent: true }); // just appended
    for (const item of found) {
      if (item.tenant !== caller.tenantId) continue;
      // Another owner's message: only from a mailbox shared with the caller with "r" (acl-list.ts).
      if (item.owner !== caller.userId && !(readable ??= await readableOwners(ctx, caller)).has(item.owner as string)) continue;
      items[item.pk.slice(2)] = coldIndex(item);
    }
  }
  return { items };
}
