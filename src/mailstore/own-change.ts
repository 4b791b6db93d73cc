// The OwnChange a write answers with (api.ts): the log entries its commits wrote, exactly as `mailbox.changes` would
// read them back (mailboxes.ts entryOf), and the mailbox's status after the last. The frontend's mailbox cache takes
// it in instead of reading the log (mailbox-cache.ts committed), so it is given only while the commits are dense:
// a request of several batches with another writer's commit between two of them answers none (I2: the log is the
// truth, and a gap is read there).
import type { LogEntry, OwnChange } from './api.js';
import type { MailboxMeta } from './commit.js';
import { statusOf } from './mailboxes.js';

export class OwnChangeRun {
  private readonly entries: LogEntry[] = [];
  private last: MailboxMeta | undefined;
  private gap = false;

  /** A commit of the request: its log entry and META after it (commit.ts Committed.meta). */
  add(entry: LogEntry, meta: MailboxMeta): void {
    const previous = this.entries[this.entries.length - 1];
    if (previous !== undefined && entry.modseq !== previous.modseq + 1) this.gap = true;
    this.entries.push(entry);
    this.last = meta;
  }

  /** The request's change, or undefined when it committed nothing or another commit came between two of its own. */
  change(): OwnChange | undefined {
    if (this.gap || this.last === undefined) return undefined;
    return { entries: this.entries, status: statusOf(this.last) };
  }
}
