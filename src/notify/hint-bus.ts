// Change hints between frontends (DESIGN.md "Notifications between frontends"). After a commit the writer publishes
// `{mailboxId, modseq}`, and with it the commit's change-log entry when that is small (hint-change.ts); frontends
// that hold the mailbox take the change when it follows exactly what they hold, and otherwise read the change log
// since their own modseq. A hint may be lost or duplicated: the log is the truth, a hint says "look now" and, at
// most, "this is what you will find there".
import type { HintChange } from './hint-change.js';

export interface Hint {
  mailboxId: string;
  modseq: number;
  /** The commit's log entries ending at `modseq` and the status after them; absent: read the log. */
  change?: HintChange;
}

export type HintListener = (hint: Hint) => void;

export interface HintBus {
  /** Fire and forget: never throws, never rejects (a lost hint is covered by the safety poll). */
  publish(hint: Hint): void;
  /** Calls `listener` for hints about `mailboxId` until the returned function is called. */
  subscribe(mailboxId: string, listener: HintListener): () => void;
  close(): Promise<void>;
}

/** Listeners per mailbox, shared by both buses; a throwing listener does not stop the others. */
export class ListenerTable {
  private readonly byMailbox = new Map<string, Set<HintListener>>();

  get mailboxCount(): number {
    return this.byMailbox.size;
  }

  /** Returns true when this is the mailbox's first listener. */
  add(mailboxId: string, listener: HintListener): boolean {
    let set = this.byMailbox.get(mailboxId);
    const first = set === undefined;
    if (!set) this.byMailbox.set(mailboxId, (set = new Set()));
    set.add(listener);
    return first;
  }

  /** Returns true when the mailbox has no listener left. */
  remove(mailboxId: string, listener: HintListener): boolean {
    const set = this.byMailbox.get(mailboxId);
    if (!set || !set.delete(listener)) return false;
    if (set.size > 0) return false;
    this.byMailbox.delete(mailboxId);
    return true;
  }

  mailboxes(): string[] {
    return [...this.byMailbox.keys()];
  }

  deliver(hint: Hint, onError: (err: unknown) => void): void {
    const set = this.byMailbox.get(hint.mailboxId);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        listener(hint);
      } catch (err) {
        onError(err);
      }
    }
  }
}
