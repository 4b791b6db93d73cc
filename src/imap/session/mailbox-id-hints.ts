// Which mailbox id a (login, path) named the last time this process asked the store (STATUS). Sent back as a hint
// with the next STATUS of that path, it lets the store answer from META alone instead of reading the name item
// first (one KV read instead of two: desktop clients poll STATUS of every folder, storage-design §D3). Only a hint:
// the store checks it against META (path, owner, state), so a stale entry — a renamed or deleted mailbox, another
// process's RENAME — costs one extra read, never a wrong answer. Bounded; least recently used out.
const DEFAULT_CAPACITY = 100_000;

export class MailboxIdHints {
  private readonly ids = new Map<string, string>();

  constructor(private readonly capacity = DEFAULT_CAPACITY) {}

  get(login: string, path: string): string | undefined {
    const key = `${login}\n${path}`;
    const id = this.ids.get(key);
    if (id === undefined) return undefined;
    this.ids.delete(key); // re-insert: Map order is the LRU order
    this.ids.set(key, id);
    return id;
  }

  set(login: string, path: string, mailboxId: string): void {
    const key = `${login}\n${path}`;
    this.ids.delete(key);
    this.ids.set(key, mailboxId);
    if (this.ids.size > this.capacity) this.ids.delete(this.ids.keys().next().value as string);
  }

  get size(): number {
    return this.ids.size;
  }
}

const byStore = new WeakMap<object, MailboxIdHints>();

/**
 * The hints of one store client: every session of a server shares them (the store checks each one), while two
 * servers in one process (tests, benchmarks) on different stores never see each other's ids.
 */
export function mailboxIdHintsOf(store: object): MailboxIdHints {
  let hints = byStore.get(store);
  if (hints === undefined) {
    hints = new MailboxIdHints();
    byStore.set(store, hints);
  }
  return hints;
}
