// Cold items (MessageIndex: envelope, body structure with byte offsets, header cache, text) for one session, read
// with `message.meta` in batches of ≤100 emailIds (storage-design §C6) and kept in a bounded LRU: cold items are
// immutable, so a cached one never goes stale.
import type { MailStoreClient } from '../../mailstore/client.js';
import type { MessageIndex } from '../../mime/types.js';
import type { TextKey } from '../../mime/search-match.js';

const BATCH = 100;
const DEFAULT_CAPACITY = 2000;

export class MetaCache {
  private readonly items = new Map<string, MessageIndex>();

  constructor(
    private readonly store: MailStoreClient,
    private readonly token: () => string,
    private readonly capacity = DEFAULT_CAPACITY,
  ) {}

  /** The cold items of `emailIds`; missing ones are fetched in batches. An id the store does not know is absent. */
  async load(emailIds: readonly string[]): Promise<Map<string, MessageIndex>> {
    const out = new Map<string, MessageIndex>();
    const missing: string[] = [];
    for (const id of new Set(emailIds)) {
      const hit = this.items.get(id);
      if (hit) {
        this.items.delete(id); // re-insert: Map order is the LRU order
        this.items.set(id, hit);
        out.set(id, hit);
      } else missing.push(id);
    }
    for (let i = 0; i < missing.length; i += BATCH) {
      const { items } = await this.store.call('message.meta', { token: this.token(), emailIds: missing.slice(i, i + BATCH) });
      for (const [id, index] of Object.entries(items)) {
        out.set(id, index);
        this.remember(id, index);
      }
    }
    return out;
  }

  /** SEARCH text keys over the mailbox's search segments (`message.searchText`); the tail is `load`'s. */
  async searchText(mailboxId: string, keys: TextKey[]): Promise<{ upTo: number; uids: number[][] }> {
    return this.store.call('message.searchText', { token: this.token(), mailboxId, keys });
  }

  private remember(id: string, index: MessageIndex): void {
    this.items.set(id, index);
    while (this.items.size > this.capacity) {
      const oldest = this.items.keys().next();
      if (oldest.done) break;
      this.items.delete(oldest.value);
    }
  }
}
