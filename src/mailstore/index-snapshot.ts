// The index snapshot's bytes (storage-design §C5 "Snapshots", §C2 S3 layout `x/<mailboxId>/<modseq>-<rand>.snap`):
// a mailbox's hot items at one MODSEQ, column-wise, deflated. The columns are laid out exactly as HotColumns holds
// them (little-endian, each 8-byte aligned), so decoding is one inflate plus a prefix sum over the UIDs — the typed
// arrays are views into the inflated buffer, not a copy per message.
//
// Format 2 (written now) is a 24-byte envelope in front of the zlib stream:
//   magic "STXZ" · envelope version u32 (2) · inflated length f64 · deflated length f64 · the zlib stream
// so that a reader knows both sizes before it reads a byte of the stream: the blob is read into one buffer of its
// size and inflated into one buffer of the columns' size (no chunk lists joined, no second copy — issue #8 item 3:
// the joined transients stayed in the frontend's RSS after a 1M-message SELECT). Format 1 (older snapshots) is the
// bare zlib stream; it is still read, with the sizes learnt on the way.
//
// Inflated (both formats):
//   magic "STXS" · version u32 · count u32 · layout u32 · modseq f64 · keyword-set JSON length u32 · that JSON ·
//   emailId JSON length u32 · that JSON (only when emailIds are not all ULIDs) · pad to 8 · columns:
//   UID deltas u32 · flags u8 · keyword-set ids u16|u32 · MODSEQ u32|f64 · size u32|f64 · internal date f64 ·
//   save date f64 · packed emailIds 16 B each (when all are ULIDs)
import { deflateSync, inflateSync } from 'node:zlib';
import { HotColumns, PACKED_ID_BYTES, type HotColumnParts } from './hot-columns.js';

const MAGIC = 0x53585453; // "STXS" read little-endian
const VERSION = 1;
const ENVELOPE_MAGIC = 0x5a585453; // "STXZ" read little-endian
const ENVELOPE_VERSION = 2;
/** Bytes of the format-2 envelope in front of the zlib stream. */
export const ENVELOPE_BYTES = 24;
const WIDE_KEYWORDS = 1;
const WIDE_MODSEQS = 2;
const WIDE_SIZES = 4;
const STRING_IDS = 8;

export interface DecodedSnapshot {
  modseq: number;
  columns: HotColumns;
}

const align8 = (n: number): number => (n + 7) & ~7;

/** The snapshot in the current format (2): the envelope with both lengths, then the deflated columns. */
export function encodeSnapshot(cols: HotColumns, modseq: number): Buffer {
  const raw = encodeRaw(cols, modseq);
  // Level 1: a 1M-message snapshot deflates in a fraction of a second and still shrinks several-fold.
  // Room for the worst case of deflate (stored blocks: 5 bytes per 16 KB and a few more), so the output is one
  // buffer; its unused tail is never touched, so it costs address space, not memory.
  const deflated = deflateSync(raw, { level: 1, chunkSize: raw.length + (raw.length >>> 10) + 1024 });
  const out = Buffer.allocUnsafe(ENVELOPE_BYTES + deflated.length);
  out.writeUInt32LE(ENVELOPE_MAGIC, 0);
  out.writeUInt32LE(ENVELOPE_VERSION, 4);
  out.writeDoubleLE(raw.length, 8);
  out.writeDoubleLE(deflated.length, 16);
  out.set(deflated, ENVELOPE_BYTES);
  return out;
}

/** Format 1 (the bare zlib stream), as snapshots written before format 2 are: for tests and benchmarks of that path. */
export function encodeSnapshotV1(cols: HotColumns, modseq: number): Buffer {
  return deflateSync(encodeRaw(cols, modseq), { level: 1 });
}

/** The envelope's lengths when `head` (at least its first ENVELOPE_BYTES) starts one; undefined for format 1. */
export function envelopeOf(head: Uint8Array): { inflated: number; deflated: number } | undefined {
  if (head.length < ENVELOPE_BYTES) return undefined;
  const view = new DataView(head.buffer, head.byteOffset, ENVELOPE_BYTES);
  if (view.getUint32(0, true) !== ENVELOPE_MAGIC) return undefined;
  if (view.getUint32(4, true) !== ENVELOPE_VERSION) throw new SnapshotFormatError('unknown index snapshot envelope version');
  const inflated = view.getFloat64(8, true);
  const deflated = view.getFloat64(16, true);
  // Deflate shrinks at most ≈ 1032:1, so a damaged length cannot make the reader reserve an absurd buffer.
  if (!Number.isSafeInteger(inflated) || !Number.isSafeInteger(deflated) || inflated < 32 || deflated < 0 || inflated > deflated * 1032 + 1024) {
    throw new SnapshotFormatError('index snapshot envelope is damaged');
  }
  return { inflated, deflated };
}

function encodeRaw(cols: HotColumns, modseq: number): Buffer {
  const p = cols.parts();
  const n = p.length;
  let layout = 0;
  if (p.keywordIds instanceof Uint32Array) layout |= WIDE_KEYWORDS;
  if (p.modseqs instanceof Float64Array) layout |= WIDE_MODSEQS;
  if (p.sizes instanceof Float64Array) layout |= WIDE_SIZES;
  if (!p.packedIds) layout |= STRING_IDS;
  const keywordJson = Buffer.from(JSON.stringify(p.keywordSets));
  const idJson = Buffer.from(p.packedIds ? '' : JSON.stringify(p.emailStrings));
  const head = align8(24 + 4 + keywordJson.length + 4 + idJson.length);
  const deltas = new Uint32Array(n);
  for (let i = 0; i < n; i++) deltas[i] = p.uids[i]! - (i > 0 ? p.uids[i - 1]! : 0);
  const columns: ArrayBufferView[] = [deltas, p.flags, p.keywordIds, p.modseqs, p.sizes, p.dates, p.saveDates];
  if (p.packedIds) columns.push(p.packedIds);
  let size = head;
  for (const c of columns) size = align8(size + c.byteLength);
  const out = Buffer.alloc(size);
  out.writeUInt32LE(MAGIC, 0);
  out.writeUInt32LE(VERSION, 4);
  out.writeUInt32LE(n, 8);
  out.writeUInt32LE(layout, 12);
  out.writeDoubleLE(modseq, 16);
  out.writeUInt32LE(keywordJson.length, 24);
  keywordJson.copy(out, 28);
  out.writeUInt32LE(idJson.length, 28 + keywordJson.length);
  idJson.copy(out, 32 + keywordJson.length);
  let at = head;
  for (const c of columns) {
    out.set(new Uint8Array(c.buffer, c.byteOffset, c.byteLength), at);
    at = align8(at + c.byteLength);
  }
  return out;
}

export class SnapshotFormatError extends Error {}

/** Decodes a snapshot of either format; the columns are views into the one inflated buffer. */
export function decodeSnapshot(bytes: Uint8Array): DecodedSnapshot {
  return decodeRaw(inflateSnapshot(bytes));
}

function inflateSnapshot(bytes: Uint8Array): Buffer {
  const envelope = envelopeOf(bytes);
  if (!envelope) {
    // Format 1: a bare zlib stream.
    try {
      return inflateSync(bytes);
    } catch (err) {
      throw new SnapshotFormatError(`index snapshot does not inflate: ${(err as Error).message}`);
    }
  }
  if (bytes.length < ENVELOPE_BYTES + envelope.deflated) throw new SnapshotFormatError('index snapshot is truncated');
  const stream = bytes.subarray(ENVELOPE_BYTES, ENVELOPE_BYTES + envelope.deflated);
  let raw: Buffer;
  try {
    // One output buffer a little longer than the columns: zlib stops with room to spare, so Node neither allocates
    // a second chunk nor joins chunks; the result is a view at offset 0 of that buffer (8-aligned for the columns).
    // (zlib's smallest chunk is 64 bytes: an empty mailbox inflates to 40.)
    const room = Math.max(64, envelope.inflated + 8);
    raw = inflateSync(stream, { chunkSize: room, maxOutputLength: room });
  } catch (err) {
    throw new SnapshotFormatError(`index snapshot does not inflate: ${(err as Error).message}`);
  }
  if (raw.length !== envelope.inflated) throw new SnapshotFormatError('index snapshot inflates to the wrong length');
  return raw;
}

function decodeRaw(inflated: Buffer): DecodedSnapshot {
  let raw = inflated;
  // Typed-array views need their element alignment; a pooled or offset buffer is copied once.
  if (raw.byteOffset % 8 !== 0) raw = Buffer.from(new Uint8Array(raw));
  if (raw.length < 32 || raw.readUInt32LE(0) !== MAGIC) throw new SnapshotFormatError('not an index snapshot');
  if (raw.readUInt32LE(4) !== VERSION) throw new SnapshotFormatError('unknown index snapshot version');
  const n = raw.readUInt32LE(8);
  const layout = raw.readUInt32LE(12);
  const modseq = raw.readDoubleLE(16);
  const kwLength = raw.readUInt32LE(24);
  const keywordSets = JSON.parse(raw.toString('utf8', 28, 28 + kwLength)) as string[][];
  const idLength = raw.readUInt32LE(28 + kwLength);
  const emailStrings = layout & STRING_IDS ? (JSON.parse(raw.toString('utf8', 32 + kwLength, 32 + kwLength + idLength)) as string[]) : null;
  let at = align8(32 + kwLength + idLength);
  const buffer = raw.buffer;
  const base = raw.byteOffset;
  function take<T>(make: new (b: ArrayBufferLike, offset: number, length: number) => T, width: number, length: number): T {
    if (at + width * length > raw.length) throw new SnapshotFormatError('index snapshot is truncated');
    const view = new make(buffer, base + at, length);
    at = align8(at + width * length);
    return view;
  }
  const uids = take(Uint32Array, 4, n);
  for (let i = 1; i < n; i++) uids[i] = uids[i]! + uids[i - 1]!;
  const parts: HotColumnParts = {
    length: n,
    uids,
    flags: take(Uint8Array, 1, n),
    keywordIds: layout & WIDE_KEYWORDS ? take(Uint32Array, 4, n) : take(Uint16Array, 2, n),
    modseqs: layout & WIDE_MODSEQS ? take(Float64Array, 8, n) : take(Uint32Array, 4, n),
    sizes: layout & WIDE_SIZES ? take(Float64Array, 8, n) : take(Uint32Array, 4, n),
    dates: take(Float64Array, 8, n),
    saveDates: take(Float64Array, 8, n),
    packedIds: emailStrings ? null : take(Uint8Array, 1, n * PACKED_ID_BYTES),
    emailStrings,
    keywordSets,
  };
  return { modseq, columns: new HotColumns(parts) };
}
