// The searchable text (header fields and decoded text) of messages not yet sealed into search segments, kept in
// memory: cold items no longer hold the text (issue #8: it was 2,477 of the 3,590 B a message kept in DynamoDB), so
// without this cache every text SEARCH of the unsealed tail and every seal would GET and index the raw messages.
// Filled by APPEND / delivery in the process that stores a message (putColdItem) and by a text SEARCH that had to
// derive a doc from the raw message (search-docs.ts); read by SEARCH (`get`) and taken by the seal (`take`), so in
// steady state it holds about the unsealed messages. Beyond the capacity the oldest entries go first; a miss only
// costs a GET and an index of the raw message, never a different answer: the entry is exactly what indexing the
// stored bytes gives (src/mime indexMessage, messages.ts coldParts).
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

  /** The entry of `emailId`, left in the cache: a text SEARCH of the unsealed tail (search-text.ts) reads it again. */
  get(emailId: string): FreshDoc | undefined {
    return this.entries.get(emailId);
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

