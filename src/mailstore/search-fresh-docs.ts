// The searchable text of messages this process has just stored, kept in memory for the seal (search-seal.ts), which
// otherwise reads every new message's cold item back (a batchGet, a decode and an inflate per message: ~4 % of an
// APPEND's CPU, issue #8) only to get the text it was built from. Cold items are immutable per emailId, so an entry
// is exactly what that read would return: the header fields a segment keeps and the decoded text (null when none).
//
// An entry is taken (removed) when a seal uses it, so in steady state the cache holds only messages not yet sealed;
// beyond FRESH_DOC_CHARS the oldest entries go first, and their seal reads the cold items as before. A process that
// did not store the message (another frontend, another Lambda) simply misses: the cache never decides what a SEARCH
// finds, only where the seal gets the same text from.
import type { SearchHeaders } from '../mime/search-match.js';

/** Characters of text kept at most (one-byte strings for most mail: about as many bytes). */
export const FRESH_DOC_CHARS = 16 * 1024 * 1024;

/** What a seal needs of one message (search-segments.ts SegmentDoc without its place in a mailbox). */
export interface FreshDoc {
  hdr: SearchHeaders;
  text: string | null;
}

/** Header fields are counted too, roughly: a message with no text still takes room. */
const HEADER_CHARS = 256;

export class FreshDocCache {
  private readonly entries = new Map<string, FreshDoc>();
  private chars = 0;

  constructor(private readonly capacity: number) {}

  put(emailId: string, doc: FreshDoc): void {
    this.take(emailId);
    const size = charsOf(doc);
    if (size > this.capacity / 4) return;
    this.entries.set(emailId, doc);
    this.chars += size;
    for (const [id, old] of this.entries) {
      if (this.chars <= this.capacity) break;
      this.entries.delete(id);
      this.chars -= charsOf(old);
    }
  }

  /** The entry of `emailId`, removed from the cache (a message is sealed once). */
  take(emailId: string): FreshDoc | undefined {
    const doc = this.entries.get(emailId);
    if (doc === undefined) return undefined;
    this.entries.delete(emailId);
    this.chars -= charsOf(doc);
    return doc;
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
    this.chars = 0;
  }
}

function charsOf(doc: FreshDoc): number {
  return HEADER_CHARS + (doc.text?.length ?? 0);
}

