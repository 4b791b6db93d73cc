// The in-process hint bus: one process, no Redis (the embedded default). Delivery is deferred to a microtask so a
// commit never runs a listener inside its own call stack.
import type { Hint, HintBus, HintListener } from './hint-bus.js';
import { ListenerTable } from './hint-bus.js';

export class LocalHintBus implements HintBus {
  private readonly listeners = new ListenerTable();
  private closed = false;

  constructor(private readonly onError: (err: unknown) => void = () => undefined) {}

  publish(hint: Hint): void {
    if (this.closed) return;
    queueMicrotask(() => this.listeners.deliver(hint, this.onError));
  }

  subscribe(mailboxId: string, listener: HintListener): () => void {
    this.listeners.add(mailboxId, listener);
    return () => {
      this.listeners.remove(mailboxId, listener);
    };
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
