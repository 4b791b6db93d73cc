// The session's view of the maildrop (RFC 1939 §5): the whole INBOX as it was when the session entered the
// TRANSACTION state, numbered 1..n in UID order for the life of the session, plus the messages marked deleted.
// Pure: no I/O. Unique-ids are "<UIDVALIDITY>.<UID>", stable across sessions for as long as the mailbox keeps its
// UIDVALIDITY (RFC 1939 §7: a unique-id is 1 to 70 characters in the range 0x21 to 0x7E).
import type { HotList } from '../mailstore/api.js';
import { fail } from './responses.js';

export interface DropMessage {
  number: number;
  uid: number;
  size: number;
  emailId: string;
}

export class Maildrop {
  readonly messages: DropMessage[];
  private readonly deleted = new Set<number>();

  constructor(
    readonly mailboxId: string,
    readonly uidValidity: number,
    readonly blobPrefix: string,
    hot: Pick<HotList, 'uids' | 'sizes' | 'emailIds'>,
  ) {
    const order = hot.uids.map((_, i) => i).sort((a, b) => hot.uids[a]! - hot.uids[b]!);
    this.messages = order.map((i, n) => ({ number: n + 1, uid: hot.uids[i]!, size: hot.sizes[i]!, emailId: hot.emailIds[i]! }));
  }

  /** Messages not marked deleted. */
  live(): DropMessage[] {
    return this.messages.filter((m) => !this.deleted.has(m.number));
  }

  stat(): { count: number; octets: number } {
    const live = this.live();
    return { count: live.length, octets: live.reduce((sum, m) => sum + m.size, 0) };
  }

  /** Message `n`, refusing numbers that do not exist or are marked deleted (RFC 1939 §5). */
  get(n: number | undefined): DropMessage {
    const message = n === undefined ? undefined : this.messages[n - 1];
    if (!message) throw fail('No such message');
    if (this.deleted.has(message.number)) throw fail(`Message ${message.number} already deleted`);
    return message;
  }

  dele(n: number | undefined): DropMessage {
    const message = this.get(n);
    this.deleted.add(message.number);
    return message;
  }

  rset(): void {
    this.deleted.clear();
  }

  deletedUids(): number[] {
    return this.messages.filter((m) => this.deleted.has(m.number)).map((m) => m.uid);
  }

  uniqueId(message: DropMessage): string {
    return `${this.uidValidity}.${message.uid}`;
  }
}
