// Cold items (MessageIndex: envelope, body structure with byte offsets, header cache; no text since issue #8), read
// with `message.meta` in batches of ≤100 emailIds (storage-design §C6) and kept in a bounded LRU: cold items are immutable, so a cached
// one never goes stale. The LRU is shared by every session of one user on one store client (a client that logs in
// for each sync, or several devices, reads a message's cold item once per process, not once per session), and
// keyed by that user: a session only ever finds what a session of the same user was given by the store.
import type { MailStoreClient } from '../../mailstore/client.js';
import type { MessageIndex } from '../../mime/types.js';
import type { TextKey } from '../../mime/search-match.js';

const BATCH = 100;
/** Entries of all users of a process (a cold item is a few KB decoded: ~50–100 MB at most). */
const SHARED_CAPACITY = 20_000;

/** One process's cold items of one store client, keyed by user and emailId, least recently used out. */
class ColdItemLru {
  private readonly items = new Map<string, MessageIndex>();

  constructor(private readonly capacity: number) {}

  get(key: string): MessageIndex | undefined {
    const hit = this.items.get(key);
    if (hit !== undefined) {
      this.items.delete(key); // re-insert: Map order is the LRU order
      this.items.set(key, hit);
    }
    return hit;
  }

  set(key: string, index: MessageIndex): void {
    this.items.delete(key);
    this.items.set(key, index);
    while (this.items.size > this.capacity) {
      const oldest = this.items.keys().next();
      if (oldest.done) break;
      this.items.delete(oldest.value);
    }
  }
}

const byStore = new WeakMap<object, ColdItemLru>();

function lruOf(store: object): ColdItemLru {
  let lru = byStore.get(store);
  if (lru === undefined) {
    lru = new ColdItemLru(SHARED_CAPACITY);
    byStore.set(store, lru);
  }
  return lru;
}

export class MetaCache {
  private readonly items: ColdItemLru;
  private readonly scope: string;

  /** `user`: the signed-in user (its id, or its login): the cache a session shares with that user's others. */
  constructor(
    private readonly store: MailStoreClient,
    private readonly token: () => string,
    user: string,
  ) {
    this.items = lruOf(store);
    this.scope = `${user}\n`;
  }

  /** The cold items of `emailIds`; missing ones are fetched in batches. An id the store does not know is absent. */
  async load(emailIds: readonly string[]): Promise<Map<string, MessageIndex>> {
    const out = new Map<string, MessageIndex>();
    const missing: string[] = [];
    for (const id of new Set(emailIds)) {
      const hit = this.items.get(this.scope + id);
      if (hit) out.set(id, hit);
      else missing.push(id);
    }
    for (let i = 0; i < missing.length; i += BATCH) {
      const { items } = await this.store.call('message.meta', { token: this.token(), emailIds: missing.slice(i, i + BATCH) });
      for (const [id, index] of Object.entries(items)) {
        out.set(id, index);
        this.items.set(this.scope + id, index);
      }
    }
    return out;
  }

  /** SEARCH text keys over the whole mailbox, sealed or not (`message.searchText`, mailstore/search-text.ts). */
  async searchText(mailboxId: string, keys: TextKey[]): Promise<{ upTo: number; uids: number[][] }> {
    return this.store.call('message.searchText', { token: this.token(), mailboxId, keys });
  }

}
