// Search segments (storage-design §C2 "q/…", risk E4): the searchable text of a mailbox's messages — the decoded
// header cache (From/To/Cc/Bcc/Subject and every field) and the decoded body text, capped as the indexer caps it —
// packed into immutable, compressed blobs of ≤ SEGMENT_DOCS messages, uniquely named under the owner's prefix, and
// listed by one small directory item per mailbox (`M#<id>/Q`). A text SEARCH then costs one KV read (META for the
// ACL and the directory, in one batch) and one blob GET per segment, instead of one cold-item read per message;
// messages above the directory's `upTo` UID (the unsealed tail) are matched from their raw bytes (search-text.ts).
//
// A segment covers a UID range of its mailbox and may still hold messages expunged since it was written: the
// frontend only counts UIDs its view holds. search-seal.ts writes segments (and rewrites them when half dead); gc.ts
// sweeps those no directory names any more, after the grace period.
//
// Blob layout: [deflated header part][deflated body part]. The header part (uids, emailIds, header caches) is read
// alone with a range GET for header keys (FROM, SUBJECT, HEADER …), so they never download body text.
//
// Body formats. v1: one deflate stream of `{"t":[text, …]}`. v2 (written since issue #8): one JSON value per line
// (`"text"` or `null`, each followed by LF; JSON escapes every LF inside a string), deflated in pieces that each end
// with a sync flush instead of a final block. Raw deflate pieces made that way concatenate into one valid stream, so
// the seal tops up the last segment by appending a piece for the new messages to the old body's bytes as they are
// (extendSegment): the last segment grows by SEAL_THRESHOLD messages a seal up to SEGMENT_DOCS, and re-compressing it
// whole each time cost every message ~5 compressions (about 2 ms of CPU per message stored, measured). The header
// part is small and rewritten whole. Both formats are read; the header's `v` says which.
import { Buffer } from 'node:buffer';
import { promisify } from 'node:util';
import { constants, deflateRaw, inflateRawSync } from 'node:zlib';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';

// Sealing runs beside live traffic: deflate on libuv's pool, at level 1 (about 3x faster than the default, ~12 %
// larger; a segment is read whole, so its size matters little).
const deflateAsync = promisify(deflateRaw);
const deflateFast = (bytes: Buffer): Promise<Buffer> => deflateAsync(bytes, { level: 1 });
/** A body piece: ends with a sync flush (no final block), so another piece may follow it. */
const deflatePiece = (bytes: Buffer): Promise<Buffer> => deflateAsync(bytes, { level: 1, finishFlush: constants.Z_SYNC_FLUSH });
/** Inflates a body of either format (a v2 body has no final block: a sync flush ends it without an error). */
const inflateBody = (bytes: Buffer): string => inflateRawSync(bytes, { finishFlush: constants.Z_SYNC_FLUSH }).toString('utf8');
import type { KvItem, KvValue } from '../storage/kv.js';
import type { SearchHeaders } from '../mime/search-match.js';
import { foldBody, foldHeaders, type FoldedHeaders, type HeaderColumn } from '../mime/search-match.js';
import type { StoreContext } from './context.js';
import type { MailboxId, TenantId, UserId } from './ids.js';
import { blobKeys, keys } from './keys.js';

/** A seal is worth it once this many messages are unsealed (`message.searchText` derives their text meanwhile). */
export const SEAL_THRESHOLD = 100;
/** Messages per segment, at most (≈ 20 segments, so 20 GETs, for a 20,000-message mailbox). */
export const SEGMENT_DOCS = 1000;
/** Decoded text per segment, at most, so one segment stays a modest download even with long messages. */
export const SEGMENT_TEXT_BYTES = 32 * 1024 * 1024;

/** One message's searchable text. */
export interface SegmentDoc {
  uid: number;
  emailId: string;
  hdr: SearchHeaders;
  /** Decoded body text; null when the message has none. */
  text: string | null;
}

/** A directory entry: one segment blob. */
export interface SegmentEntry {
  /** Segment id (a ULID): the blob is blobKeys.searchSegment(…, id). */
  id: string;
  /** Lowest and highest UID it holds. */
  from: number;
  to: number;
  /** Messages in it (alive or not). */
  docs: number;
  /** Bytes of the header part (the blob's first bytes); the body part follows. */
  headerBytes: number;
  bytes: number;
}

/** A segment superseded by a rewrite: kept for the GC grace period from `at`, for searches still reading it. */
export interface RetiredSegment {
  id: string;
  at: number;
}

export interface SegmentDirectory {
  /** Bumped by every write; each write is conditioned on the version it read. 0: no directory item yet. */
  version: number;
  /** Every message with UID ≤ upTo that was in the mailbox when the last seal read it is in a segment. */
  upTo: number;
  /** In UID order, ranges disjoint. */
  segments: SegmentEntry[];
  retired: RetiredSegment[];
}

export const EMPTY_DIRECTORY: SegmentDirectory = { version: 0, upTo: 0, segments: [], retired: [] };

export function directoryFromItem(item: KvItem | undefined): SegmentDirectory {
  if (!item) return EMPTY_DIRECTORY;
  const segs = (item.s as { [name: string]: KvValue }[] | undefined) ?? [];
  const retired = (item.r as { [name: string]: KvValue }[] | undefined) ?? [];
  return {
    version: item.v as number,
    upTo: item.upTo as number,
    segments: segs.map((s) => ({
      id: s.i as string,
      from: s.a as number,
      to: s.z as number,
      docs: s.n as number,
      headerBytes: s.h as number,
      bytes: s.b as number,
    })),
    retired: retired.map((r) => ({ id: r.i as string, at: r.t as number })),
  };
}

/** The directory item (short attribute names: it is read by every text SEARCH). */
export function directoryItem(mailboxId: MailboxId, dir: SegmentDirectory): KvItem {
  return {
    ...keys.searchDirectory(mailboxId),
    v: dir.version,
    upTo: dir.upTo,
    s: dir.segments.map((s) => ({ i: s.id, a: s.from, z: s.to, n: s.docs, h: s.headerBytes, b: s.bytes })),
    r: dir.retired.map((r) => ({ i: r.id, t: r.at })),
  };
}

type HeaderRow = [from: string | null, to: string | null, cc: string | null, bcc: string | null, subject: string | null, fields: [string, string][]];

/** A segment's header part. `b` (v2): the body's uncompressed bytes, so a top-up knows the text limit holds. */
export interface SegmentHeader {
  v: 1 | 2;
  u: number[];
  e: string[];
  h: HeaderRow[];
  b?: number;
}

const headerRow = (d: SegmentDoc): HeaderRow => [d.hdr.from, d.hdr.to, d.hdr.cc, d.hdr.bcc, d.hdr.subject, d.hdr.fields];

/**
 * Text the seal serialises or folds between two turns of the event loop. A seal of 100 messages runs beside live
 * traffic on the server's one thread; done in one go, its JSON and folding held the loop for 5–50 ms (issue #8's
 * p99, bench/run-stratus.ts --loop-delay --cpu-prof), so it gives the loop back every slice (~1 ms of work).
 */
export const SEAL_SLICE_CHARS = 256 * 1024;

/** The v2 body lines of docs: one JSON value per line; built a slice at a time. */
async function bodyLines(docs: readonly SegmentDoc[]): Promise<Buffer> {
  const parts: Buffer[] = [];
  let lines = '';
  for (const d of docs) {
    lines += `${JSON.stringify(d.text)}\n`;
    if (lines.length >= SEAL_SLICE_CHARS) {
      parts.push(Buffer.from(lines, 'utf8'));
      lines = '';
      await yieldToEventLoop();
    }
  }
  parts.push(Buffer.from(lines, 'utf8'));
  return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
}

/** The texts of an inflated body, in doc order. */
function bodyTexts(v: 1 | 2, body: string): (string | null)[] {
  if (v === 1) return (JSON.parse(body) as { t: (string | null)[] }).t;
  // Line by line: as fast as v1's one parse (joining the lines into one array first costs ~2× that).
  return body === '' ? [] : body.slice(0, -1).split('\n').map((line) => JSON.parse(line) as string | null);
}

/** Packs docs (in UID order) into one segment blob. */
export async function encodeSegment(docs: readonly SegmentDoc[]): Promise<{ bytes: Buffer; headerBytes: number }> {
  const lines = await bodyLines(docs);
  const header: SegmentHeader = { v: 2, u: docs.map((d) => d.uid), e: docs.map((d) => d.emailId), h: docs.map(headerRow), b: lines.length };
  const [head, body] = await Promise.all([deflateFast(Buffer.from(JSON.stringify(header), 'utf8')), deflatePiece(lines)]);
  return { bytes: Buffer.concat([head, body]), headerBytes: head.length };
}

/** A segment blob as stored: its header decoded, its body still compressed. */
export interface StoredSegment {
  header: SegmentHeader;
  body: Buffer;
}

/**
 * A segment with `fresh` docs (higher UIDs, in UID order) appended, without decompressing its body: the old body's
 * bytes followed by a piece for the new texts (see the header). Undefined when the old body is v1, or when the texts
 * might exceed SEGMENT_TEXT_BYTES (the caller then re-packs the docs, splitting them as chunkDocs does).
 */
export async function extendSegment(old: StoredSegment, fresh: readonly SegmentDoc[]): Promise<{ bytes: Buffer; headerBytes: number } | undefined> {
  if (old.header.v !== 2 || old.header.b === undefined) return undefined;
  const lines = await bodyLines(fresh);
  if (old.header.b + lines.length > SEGMENT_TEXT_BYTES) return undefined;
  const header: SegmentHeader = {
    v: 2,
    u: [...old.header.u, ...fresh.map((d) => d.uid)],
    e: [...old.header.e, ...fresh.map((d) => d.emailId)],
    h: [...old.header.h, ...fresh.map(headerRow)],
    b: old.header.b + lines.length,
  };
  const [head, piece] = await Promise.all([deflateFast(Buffer.from(JSON.stringify(header), 'utf8')), deflatePiece(lines)]);
  return { bytes: Buffer.concat([head, old.body, piece]), headerBytes: head.length };
}

function parseHeader(head: Buffer): SegmentHeader {
  return JSON.parse(inflateRawSync(head).toString('utf8')) as SegmentHeader;
}

function docsOf(header: SegmentHeader, texts?: (string | null)[]): SegmentDoc[] {
  return header.u.map((uid, i) => {
    const [from, to, cc, bcc, subject, fields] = header.h[i]!;
    return { uid, emailId: header.e[i]!, hdr: { from, to, cc, bcc, subject, fields }, text: texts ? (texts[i] ?? null) : null };
  });
}

/** The docs of a segment blob; without `body` (only the header part was read) every text is null. */
export function decodeSegment(head: Buffer, body?: Buffer): SegmentDoc[] {
  const header = parseHeader(head);
  return docsOf(header, body ? bodyTexts(header.v, inflateBody(body)) : undefined);
}

/** The docs of a stored segment, texts included. */
export function storedDocs(stored: StoredSegment): SegmentDoc[] {
  return docsOf(stored.header, bodyTexts(stored.header.v, inflateBody(stored.body)));
}

async function readStream(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(parts);
}

/** Reads one segment: the header part alone (a range GET) or the whole blob. Throws BlobNotFoundError. */
export async function readSegment(
  ctx: StoreContext,
  owner: { tenantId: TenantId; userId: UserId },
  mailboxId: MailboxId,
  entry: SegmentEntry,
  withBody: boolean,
): Promise<SegmentDoc[]> {
  const key = blobKeys.searchSegment(owner.tenantId, owner.userId, mailboxId, entry.id);
  if (!withBody) return decodeSegment(await readStream(await ctx.blob.get(key, { start: 0, end: entry.headerBytes - 1 })));
  const all = await readStream(await ctx.blob.get(key));
  return decodeSegment(all.subarray(0, entry.headerBytes), all.subarray(entry.headerBytes));
}

/** Reads one whole segment, its body left compressed (the seal's top-up). Throws BlobNotFoundError. */
export async function readStoredSegment(
  ctx: StoreContext,
  owner: { tenantId: TenantId; userId: UserId },
  mailboxId: MailboxId,
  entry: SegmentEntry,
): Promise<StoredSegment> {
  const all = await readStream(await ctx.blob.get(blobKeys.searchSegment(owner.tenantId, owner.userId, mailboxId, entry.id)));
  return storedSegment(all, entry.headerBytes);
}

/** A segment blob split into its decoded header and its still compressed body. */
export function storedSegment(bytes: Buffer, headerBytes: number): StoredSegment {
  return { header: parseHeader(bytes.subarray(0, headerBytes)), body: bytes.subarray(headerBytes) };
}

/** Decoded text kept per process, at most (in characters; a cached segment holds its text folded, once). */
export const SEGMENT_CACHE_CHARS = 32 * 1024 * 1024;

/**
 * A segment as text searches use it: decoded once and its text folded (search-match.ts foldHeaders), so a later
 * search of the same segment reads no blob and decodes nothing. Segments are immutable and uniquely named (a rewrite
 * writes a new one), so an entry never goes stale; which segments a search reads is still decided by the directory
 * it reads strongly each time.
 */
export interface FoldedSegment {
  /** The body format (header `v`), for reading the texts later. */
  v: 1 | 2;
  uids: number[];
  heads: FoldedHeaders[];
  /** Folded body texts, once a BODY or TEXT key needed them (header keys read the header part alone). */
  texts?: (string | null)[];
  chars: number;
  /** FROM, SUBJECT … columns (search-match.ts headerColumn), made on first use; not counted in `chars` (small). */
  columns?: Map<string, HeaderColumn>;
}

/** The process's folded segments by blob key, least recently used first, within SEGMENT_CACHE_CHARS. */
export class FoldedSegmentCache {
  private readonly entries = new Map<string, FoldedSegment>();
  private chars = 0;

  constructor(private readonly capacity: number) {}

  get(key: string): FoldedSegment | undefined {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
    }
    return hit;
  }

  /** Keeps `segment` (replacing an entry of the same key); one larger than a quarter of the capacity is not kept. */
  put(key: string, segment: FoldedSegment): void {
    const old = this.entries.get(key);
    if (old) {
      this.entries.delete(key);
      this.chars -= old.chars;
    }
    if (segment.chars > this.capacity / 4) return;
    this.entries.set(key, segment);
    this.chars += segment.chars;
    for (const [k, v] of this.entries) {
      if (this.chars <= this.capacity) break;
      this.entries.delete(k);
      this.chars -= v.chars;
    }
  }

  /** Drops the entry of `key` (a segment the seal just superseded; a search still reading it reads the blob). */
  delete(key: string): void {
    const old = this.entries.get(key);
    if (!old) return;
    this.entries.delete(key);
    this.chars -= old.chars;
  }

  clear(): void {
    this.entries.clear();
    this.chars = 0;
  }
}

export const foldedSegments = new FoldedSegmentCache(SEGMENT_CACHE_CHARS);

function headerChars(h: FoldedHeaders): number {
  let n = (h.from?.length ?? 0) + (h.to?.length ?? 0) + (h.cc?.length ?? 0) + (h.bcc?.length ?? 0) + (h.subject?.length ?? 0);
  for (let i = 0; i < h.names.length; i++) n += h.names[i]!.length + h.values[i]!.length;
  return n;
}

function foldedHead(head: Buffer): FoldedSegment {
  const header = parseHeader(head);
  let chars = 0;
  const heads = header.h.map(([from, to, cc, bcc, subject, fields]) => {
    const folded = foldHeaders({ from, to, cc, bcc, subject, fields });
    chars += headerChars(folded);
    return folded;
  });
  return { v: header.v, uids: header.u, heads, chars };
}

function foldedTexts(v: 1 | 2, body: Buffer): { texts: (string | null)[]; chars: number } {
  const t = bodyTexts(v, inflateBody(body));
  let chars = 0;
  const texts = t.map((text) => {
    const folded = foldBody(text ?? null);
    chars += folded?.length ?? 0;
    return folded;
  });
  return { texts, chars };
}

/**
 * Puts a segment just written (search-seal.ts) into the process's cache, folded, so the first text SEARCH after a
 * seal reads and decodes nothing when it runs in the process that sealed (the embedded server).
 */
export async function rememberSegment(key: string, docs: readonly SegmentDoc[]): Promise<void> {
  let chars = 0;
  let slice = 0;
  const heads: FoldedHeaders[] = [];
  const texts: (string | null)[] = [];
  for (const doc of docs) {
    const head = foldHeaders(doc.hdr);
    const text = foldBody(doc.text);
    const added = headerChars(head) + (text?.length ?? 0);
    chars += added;
    heads.push(head);
    texts.push(text);
    if ((slice += added) >= SEAL_SLICE_CHARS) {
      slice = 0;
      await yieldToEventLoop();
    }
  }
  foldedSegments.put(key, { v: 2, uids: docs.map((d) => d.uid), heads, texts, chars });
}

/**
 * After a top-up (extendSegment) of the segment cached under `oldKey`: the new segment is the old one's docs plus
 * `fresh`, so when the old one is in the cache, the new one is put there without decoding anything — with its texts
 * when the old one had them, else its header part alone (what header keys read; a BODY key then reads the blob).
 */
export async function rememberExtended(oldKey: string, key: string, fresh: readonly SegmentDoc[]): Promise<void> {
  const old = foldedSegments.get(oldKey);
  foldedSegments.delete(oldKey);
  if (!old) return;
  let chars = old.chars;
  let slice = 0;
  const uids = [...old.uids];
  const heads = [...old.heads];
  const texts = old.texts ? [...old.texts] : undefined;
  for (const doc of fresh) {
    const head = foldHeaders(doc.hdr);
    const before = chars;
    chars += headerChars(head);
    uids.push(doc.uid);
    heads.push(head);
    if (texts) {
      const text = foldBody(doc.text);
      chars += text?.length ?? 0;
      texts.push(text);
    }
    if ((slice += chars - before) >= SEAL_SLICE_CHARS) {
      slice = 0;
      await yieldToEventLoop();
    }
  }
  foldedSegments.put(key, texts ? { v: 2, uids, heads, texts, chars } : { v: 2, uids, heads, chars });
}

/** One segment, folded, from the process's cache or read now (the header part alone unless `withBody`). Throws BlobNotFoundError. */
export async function foldedSegment(
  ctx: StoreContext,
  owner: { tenantId: TenantId; userId: UserId },
  mailboxId: MailboxId,
  entry: SegmentEntry,
  withBody: boolean,
): Promise<FoldedSegment> {
  const key = blobKeys.searchSegment(owner.tenantId, owner.userId, mailboxId, entry.id);
  const cached = foldedSegments.get(key);
  if (cached && (cached.texts || !withBody)) return cached;
  let segment: FoldedSegment;
  if (!withBody) {
    segment = foldedHead(await readStream(await ctx.blob.get(key, { start: 0, end: entry.headerBytes - 1 })));
  } else {
    const all = await readStream(await ctx.blob.get(key));
    const head = cached ?? foldedHead(all.subarray(0, entry.headerBytes));
    const { texts, chars } = foldedTexts(head.v, all.subarray(entry.headerBytes));
    segment = { v: head.v, uids: head.uids, heads: head.heads, texts, chars: head.chars + chars };
  }
  foldedSegments.put(key, segment);
  return segment;
}
