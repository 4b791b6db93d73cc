// The index snapshot's bytes (storage-design §C5 "Snapshots", §C2 S3 layout `x/<mailboxId>/<modseq>-<rand>.snap`):
// a mailbox's hot items at one MODSEQ, column-wise, deflated. The columns are laid out exactly as HotColumns holds
// them (little-endian, each 8-byte aligned), so decoding is one inflate plus a prefix sum over the UIDs — the typed
// arrays are views into the inflated buffer, not a copy per message.
//
//   magic "STXS" · version u32 · count u32 · layout u32 · modseq f64 · keyword-set JSON length u32 · that JSON ·
//   emailId JSON length u32 · that JSON (only when emailIds are not all ULIDs) · pad to 8 · columns:
//   UID deltas u32 · flags u8 · keyword-set ids u16|u32 · MODSEQ u32|f64 · size u32|f64 · internal date f64 ·
//   save date f64 · packed emailIds 16 B each (when all are ULIDs)
import { deflateSync, inflateSync } from 'node:zlib';
import { HotColumns, PACKED_ID_BYTES, type HotColumnParts } from './hot-columns.js';

const MAGIC = 0x53585453; // "STXS" read little-endian
const VERSION = 1;
const WIDE_KEYWORDS = 1;
const WIDE_MODSEQS = 2;
const WIDE_SIZES = 4;
const STRING_IDS = 8;

export interface DecodedSnapshot {
  modseq: number;
  columns: HotColumns;
}

const align8 = (n: number): number => (n + 7) & ~7;

export function encodeSnapshot(cols: HotColumns, modseq: number): Buffer {
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
  // Level 1: a 1M-message snapshot deflates in a fraction of a second and still shrinks several-fold.
  return deflateSync(out, { level: 1 });
}

export class SnapshotFormatError extends Error {}

export function decodeSnapshot(compressed: Uint8Array): DecodedSnapshot {
  let raw = inflateSync(compressed);
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
