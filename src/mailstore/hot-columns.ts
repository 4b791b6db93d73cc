// A mailbox's hot items held column-wise in typed arrays (storage-design §C5 "MailboxCache"): what the frontend's
// mailbox cache and each session's view keep, and what an index snapshot (index-snapshot.ts) decodes into without a
// per-message JS object. About 47 B per message (UID 4, flags 1, keyword-set id 2, MODSEQ 4, size 4, internal date 8,
// save date 8, emailId 16), so a 1,000,000-message mailbox fits in ≈ 47 MB, where `HotList` arrays of numbers,
// strings and keyword arrays take about three times that.
//
// Sharing: a holder that hands its columns to another (the cache to a selecting session) calls `share()`; from then
// on every holder that wants to change them calls `writable()` first and gets its own copy (copy on write), so a
// session's view never moves under it when the cache takes in the log, nor the cache when a view flushes.
import type { HotList, LogEntry } from './api.js';
import { indexOfUid } from './hot-list.js';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const CROCKFORD_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < CROCKFORD.length; i++) CROCKFORD_VALUE[CROCKFORD.charCodeAt(i)] = i;

/** Bytes of an emailId packed from its 26-character ULID form (ids.ts: 130 bits whose top 2 are zero). */
export const PACKED_ID_BYTES = 16;

/** Packs a canonical ULID into `out` at `at`; false (nothing written) when `id` is not one. */
export function packUlid(id: string, out: Uint8Array, at: number): boolean {
  if (id.length !== 26) return false;
  const first = id.charCodeAt(0);
  if (first < 48 || first > 55) return false; // '0'..'7': the top two of 130 bits are zero
  let acc = 0;
  let bits = 0;
  let o = at;
  // 26 × 5 = 130 bits; skip the 2 leading zero bits of the first character.
  for (let i = 0; i < 26; i++) {
    const c = id.charCodeAt(i);
    const v = c < 128 ? CROCKFORD_VALUE[c]! : -1;
    if (v < 0) return false;
    if (i === 0) {
      acc = v & 0x7;
      bits = 3;
    } else {
      acc = (acc << 5) | v;
      bits += 5;
    }
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >>> bits) & 0xff;
      acc &= (1 << bits) - 1;
    }
  }
  return o - at === PACKED_ID_BYTES;
}

export function unpackUlid(bytes: Uint8Array, at: number): string {
  let out = '';
  let acc = 0;
  let bits = 2; // the 2 zero bits above the first byte
  let i = at;
  const end = at + PACKED_ID_BYTES;
  // First character: 2 zero bits + top 3 bits of byte 0.
  for (let n = 0; n < 26; n++) {
    while (bits < 5) {
      acc = (acc << 8) | (i < end ? bytes[i++]! : 0);
      bits += 8;
    }
    bits -= 5;
    out += CROCKFORD[(acc >>> bits) & 0x1f]!;
    acc &= (1 << bits) - 1;
  }
  return out;
}

const EMPTY_KEYWORDS: readonly string[] = Object.freeze([]);

/** One message's hot fields, as a row. */
export interface HotRow {
  uid: number;
  flags: number;
  keywords: readonly string[];
  modseq: number;
  size: number;
  date: number;
  emailId: string;
  saveDate: number;
}

/** The typed-array columns and their interning tables (what index-snapshot.ts encodes and decodes). */
export interface HotColumnParts {
  length: number;
  uids: Uint32Array;
  flags: Uint8Array;
  keywordIds: Uint16Array | Uint32Array;
  modseqs: Uint32Array | Float64Array;
  sizes: Uint32Array | Float64Array;
  dates: Float64Array;
  saveDates: Float64Array;
  /** 16 bytes per message when every emailId is a ULID; else null and `emailStrings` holds them. */
  packedIds: Uint8Array | null;
  emailStrings: string[] | null;
  /** Keyword-set id → the set (id 0 is the empty set). */
  keywordSets: string[][];
}

export class HotColumns {
  private p: HotColumnParts;
  private readonly keywordIndex = new Map<string, number>();
  private shared = false;

  constructor(parts?: HotColumnParts) {
    this.p = parts ?? emptyParts(0);
    if (this.p.keywordSets.length === 0) this.p.keywordSets.push([]);
    this.p.keywordSets.forEach((set, id) => this.keywordIndex.set(set.join('\n'), id));
  }

  static fromHotList(list: HotList): HotColumns {
    const cols = new HotColumns(emptyParts(list.uids.length));
    for (let i = 0; i < list.uids.length; i++) {
      cols.push({
        uid: list.uids[i]!,
        flags: list.flags[i] ?? 0,
        keywords: list.keywords[i] ?? EMPTY_KEYWORDS,
        modseq: list.modseqs[i] ?? 0,
        size: list.sizes[i] ?? 0,
        date: list.dates[i] ?? 0,
        emailId: list.emailIds[i] ?? '',
        saveDate: list.saveDates?.[i] ?? 0,
      });
    }
    return cols;
  }

  /** The columns as they are (for encoding); trimmed views, not copies. */
  parts(): HotColumnParts {
    const p = this.p;
    const n = p.length;
    return {
      length: n,
      uids: p.uids.subarray(0, n),
      flags: p.flags.subarray(0, n),
      keywordIds: p.keywordIds.subarray(0, n),
      modseqs: p.modseqs.subarray(0, n),
      sizes: p.sizes.subarray(0, n),
      dates: p.dates.subarray(0, n),
      saveDates: p.saveDates.subarray(0, n),
      packedIds: p.packedIds ? p.packedIds.subarray(0, n * PACKED_ID_BYTES) : null,
      emailStrings: p.emailStrings ? p.emailStrings.slice(0, n) : null,
      keywordSets: p.keywordSets,
    };
  }

  toHotList(): HotList {
    const list: HotList = { uids: [], flags: [], keywords: [], modseqs: [], sizes: [], dates: [], emailIds: [], saveDates: [] };
    for (let i = 0; i < this.length; i++) {
      list.uids.push(this.uidAt(i));
      list.flags.push(this.flagsAt(i));
      list.keywords.push(this.keywordsAt(i).slice());
      list.modseqs.push(this.modseqAt(i));
      list.sizes.push(this.sizeAt(i));
      list.dates.push(this.dateAt(i));
      list.emailIds.push(this.emailIdAt(i));
      list.saveDates!.push(this.saveDateAt(i));
    }
    return list;
  }

  get length(): number {
    return this.p.length;
  }

  /** Bytes held by the columns (capacity included), for the cache's bounds and the benchmarks. */
  get bytes(): number {
    const p = this.p;
    return (
      p.uids.byteLength +
      p.flags.byteLength +
      p.keywordIds.byteLength +
      p.modseqs.byteLength +
      p.sizes.byteLength +
      p.dates.byteLength +
      p.saveDates.byteLength +
      (p.packedIds?.byteLength ?? 0) +
      (p.emailStrings?.length ?? 0) * 64
    );
  }

  /** Marks the columns as held by more than one owner: each must call `writable()` before changing them. */
  share(): this {
    this.shared = true;
    return this;
  }

  /** These columns if nobody else holds them, else a private copy. */
  writable(): HotColumns {
    return this.shared ? this.clone() : this;
  }

  clone(): HotColumns {
    const p = this.p;
    const n = p.length;
    return new HotColumns({
      length: n,
      uids: p.uids.slice(0, n),
      flags: p.flags.slice(0, n),
      keywordIds: p.keywordIds.slice(0, n),
      modseqs: p.modseqs.slice(0, n),
      sizes: p.sizes.slice(0, n),
      dates: p.dates.slice(0, n),
      saveDates: p.saveDates.slice(0, n),
      packedIds: p.packedIds ? p.packedIds.slice(0, n * PACKED_ID_BYTES) : null,
      emailStrings: p.emailStrings ? p.emailStrings.slice(0, n) : null,
      keywordSets: p.keywordSets.slice(),
    });
  }

  uidAt(i: number): number {
    return i < this.p.length ? this.p.uids[i]! : 0;
  }
  flagsAt(i: number): number {
    return i < this.p.length ? this.p.flags[i]! : 0;
  }
  keywordsAt(i: number): readonly string[] {
    return i < this.p.length ? (this.p.keywordSets[this.p.keywordIds[i]!] ?? EMPTY_KEYWORDS) : EMPTY_KEYWORDS;
  }
  modseqAt(i: number): number {
    return i < this.p.length ? this.p.modseqs[i]! : 0;
  }
  sizeAt(i: number): number {
    return i < this.p.length ? this.p.sizes[i]! : 0;
  }
  dateAt(i: number): number {
    return i < this.p.length ? this.p.dates[i]! : 0;
  }
  saveDateAt(i: number): number {
    return i < this.p.length ? this.p.saveDates[i]! : 0;
  }
  emailIdAt(i: number): string {
    if (i >= this.p.length) return '';
    const p = this.p;
    return p.packedIds ? unpackUlid(p.packedIds, i * PACKED_ID_BYTES) : (p.emailStrings![i] ?? '');
  }
  lastUid(): number {
    return this.p.length > 0 ? this.p.uids[this.p.length - 1]! : 0;
  }

  /** The index of `uid` (UIDs ascend, I1), or -1. */
  indexOfUid(uid: number): number {
    return indexOfUid(this.p.uids, uid, this.p.length);
  }

  /** Appends a row (callers keep UID order; `insertAt` places one elsewhere). */
  push(row: HotRow): void {
    this.insertAt(this.p.length, row);
  }

  insertAt(at: number, row: HotRow): void {
    this.reserve(this.p.length + 1);
    const p = this.p;
    const n = p.length;
    if (at < n) {
      p.uids.copyWithin(at + 1, at, n);
      p.flags.copyWithin(at + 1, at, n);
      p.keywordIds.copyWithin(at + 1, at, n);
      p.modseqs.copyWithin(at + 1, at, n);
      p.sizes.copyWithin(at + 1, at, n);
      p.dates.copyWithin(at + 1, at, n);
      p.saveDates.copyWithin(at + 1, at, n);
      if (p.packedIds) p.packedIds.copyWithin((at + 1) * PACKED_ID_BYTES, at * PACKED_ID_BYTES, n * PACKED_ID_BYTES);
      else p.emailStrings!.splice(at, 0, '');
    } else if (p.emailStrings) {
      p.emailStrings.push('');
    }
    p.length = n + 1;
    p.uids[at] = row.uid;
    this.setEmailId(at, row.emailId);
    this.setModseq(at, row.modseq);
    this.setSize(at, row.size);
    this.p.dates[at] = row.date;
    this.p.saveDates[at] = row.saveDate;
    this.setFlags(at, row.flags, row.keywords, row.modseq);
  }

  /** New flags and keywords of the message at `i`, changed at `modseq`. */
  setFlags(i: number, flags: number, keywords: readonly string[], modseq: number): void {
    this.p.flags[i] = flags;
    const id = this.keywordSetId(keywords);
    if (id > 0xffff && this.p.keywordIds instanceof Uint16Array) this.p.keywordIds = widen(this.p.keywordIds, Uint32Array);
    this.p.keywordIds[i] = id;
    this.setModseq(i, modseq);
  }

  removeAt(i: number): void {
    const p = this.p;
    const n = p.length;
    if (i < 0 || i >= n) return;
    p.uids.copyWithin(i, i + 1, n);
    p.flags.copyWithin(i, i + 1, n);
    p.keywordIds.copyWithin(i, i + 1, n);
    p.modseqs.copyWithin(i, i + 1, n);
    p.sizes.copyWithin(i, i + 1, n);
    p.dates.copyWithin(i, i + 1, n);
    p.saveDates.copyWithin(i, i + 1, n);
    if (p.packedIds) p.packedIds.copyWithin(i * PACKED_ID_BYTES, (i + 1) * PACKED_ID_BYTES, n * PACKED_ID_BYTES);
    else p.emailStrings!.splice(i, 1);
    p.length = n - 1;
  }

  /** Removes every message whose UID is in `gone`, in one pass. */
  removeUids(gone: ReadonlySet<number>): void {
    const p = this.p;
    let w = 0;
    for (let r = 0; r < p.length; r++) {
      if (gone.has(p.uids[r]!)) continue;
      if (w !== r) {
        p.uids[w] = p.uids[r]!;
        p.flags[w] = p.flags[r]!;
        p.keywordIds[w] = p.keywordIds[r]!;
        p.modseqs[w] = p.modseqs[r]!;
        p.sizes[w] = p.sizes[r]!;
        p.dates[w] = p.dates[r]!;
        p.saveDates[w] = p.saveDates[r]!;
        if (p.packedIds) p.packedIds.copyWithin(w * PACKED_ID_BYTES, r * PACKED_ID_BYTES, (r + 1) * PACKED_ID_BYTES);
        else p.emailStrings![w] = p.emailStrings![r]!;
      }
      w++;
    }
    if (p.emailStrings) p.emailStrings.length = w;
    p.length = w;
  }

  private keywordSetId(keywords: readonly string[]): number {
    if (keywords.length === 0) return 0;
    const key = keywords.join('\n');
    let id = this.keywordIndex.get(key);
    if (id === undefined) {
      id = this.p.keywordSets.length;
      this.p.keywordSets.push(keywords.slice());
      this.keywordIndex.set(key, id);
    }
    return id;
  }

  private setModseq(i: number, modseq: number): void {
    if (this.p.modseqs instanceof Uint32Array && !fitsUint32(modseq)) this.p.modseqs = widen(this.p.modseqs, Float64Array);
    this.p.modseqs[i] = modseq;
  }

  private setSize(i: number, size: number): void {
    if (this.p.sizes instanceof Uint32Array && !fitsUint32(size)) this.p.sizes = widen(this.p.sizes, Float64Array);
    this.p.sizes[i] = size;
  }

  private setEmailId(i: number, emailId: string): void {
    const p = this.p;
    if (p.packedIds && packUlid(emailId, p.packedIds, i * PACKED_ID_BYTES)) return;
    if (p.packedIds) {
      // Not a ULID (an id from elsewhere): every id of this list is kept as a string from now on.
      const strings: string[] = [];
      for (let k = 0; k < p.length; k++) strings.push(k === i ? emailId : unpackUlid(p.packedIds, k * PACKED_ID_BYTES));
      p.packedIds = null;
      p.emailStrings = strings;
      return;
    }
    p.emailStrings![i] = emailId;
  }

  private reserve(n: number): void {
    const p = this.p;
    if (n <= p.uids.length) return;
    const cap = Math.max(16, n, Math.ceil(p.uids.length * 1.5));
    p.uids = grow(p.uids, cap);
    p.flags = grow(p.flags, cap);
    p.keywordIds = grow(p.keywordIds, cap);
    p.modseqs = grow(p.modseqs, cap);
    p.sizes = grow(p.sizes, cap);
    p.dates = grow(p.dates, cap);
    p.saveDates = grow(p.saveDates, cap);
    if (p.packedIds) p.packedIds = grow(p.packedIds, cap * PACKED_ID_BYTES);
  }
}

/** Moves columns forward with log entries, each applied to a message only if newer than it (§C5, as hot-list.ts). */
export function applyEntriesToColumns(cols: HotColumns, entries: readonly LogEntry[]): void {
  for (const entry of entries) {
    if (entry.op === 'A') {
      const a = entry.added;
      for (let i = 0; i < a.uids.length; i++) {
        const uid = a.uids[i]!;
        // New UIDs are above every UID the list has (UIDs are allocated in commit order); anything else is known.
        if (uid <= cols.lastUid()) continue;
        cols.push({
          uid,
          flags: a.flags[i] ?? 0,
          keywords: a.keywords[i] ?? EMPTY_KEYWORDS,
          modseq: a.modseqs[i] ?? entry.modseq,
          size: a.sizes[i] ?? 0,
          date: a.dates[i] ?? 0,
          emailId: a.emailIds[i] ?? '',
          saveDate: a.saveDates?.[i] ?? 0,
        });
      }
    } else if (entry.op === 'F') {
      entry.uids.forEach((uid, n) => {
        const at = cols.indexOfUid(uid);
        if (at >= 0 && cols.modseqAt(at) < entry.modseq) cols.setFlags(at, entry.flags[n] ?? 0, entry.keywords[n] ?? EMPTY_KEYWORDS, entry.modseq);
      });
    } else if (entry.op === 'X') {
      cols.removeUids(new Set(entry.uids));
    }
  }
}

function emptyParts(capacity: number): HotColumnParts {
  return {
    length: 0,
    uids: new Uint32Array(capacity),
    flags: new Uint8Array(capacity),
    keywordIds: new Uint16Array(capacity),
    modseqs: new Uint32Array(capacity),
    sizes: new Uint32Array(capacity),
    dates: new Float64Array(capacity),
    saveDates: new Float64Array(capacity),
    packedIds: new Uint8Array(capacity * PACKED_ID_BYTES),
    emailStrings: null,
    keywordSets: [[]],
  };
}

function fitsUint32(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= 0xffffffff;
}

type Typed = Uint8Array | Uint16Array | Uint32Array | Float64Array;

function grow<T extends Typed>(a: T, cap: number): T {
  const next = new (a.constructor as new (n: number) => T)(cap);
  next.set(a);
  return next;
}

function widen<W extends Uint32Array | Float64Array>(a: Typed, to: new (n: number) => W): W {
  const next = new to(a.length);
  next.set(a);
  return next;
}
