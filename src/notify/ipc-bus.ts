// Hints between the worker processes of one `stratus serve` (STRATUS_WORKERS > 1, src/server/workers.ts), without
// Redis: a worker hands its own hints to its local listeners at once and sends them to the primary process over the
// IPC channel; the primary relays each hint to every other worker. As with every bus, a hint only says "look now".
import type { Hint, HintBus, HintListener } from './hint-bus.js';
import { LocalHintBus } from './local-bus.js';

export const HINT_MESSAGE = 'stratus:hint';

export interface HintMessage {
  type: typeof HINT_MESSAGE;
  hint: Hint;
}

export function isHintMessage(message: unknown): message is HintMessage {
  if (typeof message !== 'object' || message === null) return false;
  const m = message as { type?: unknown; hint?: { mailboxId?: unknown; modseq?: unknown } };
  return m.type === HINT_MESSAGE && typeof m.hint?.mailboxId === 'string' && typeof m.hint.modseq === 'number';
}

/** The IPC channel of a process forked with one (node:cluster workers, child_process.fork). */
export interface IpcChannel {
  send?(message: unknown): boolean;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
}

export class IpcHintBus implements HintBus {
  /** This process's own listeners: the worker's own hints and the relayed ones reach them the same way. */
  private readonly local: LocalHintBus;
  private closed = false;
  private readonly onMessage = (message: unknown): void => {
    if (!this.closed && isHintMessage(message)) this.local.publish(message.hint);
  };

  constructor(
    private readonly channel: IpcChannel,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {
    this.local = new LocalHintBus(onError);
    channel.on('message', this.onMessage);
  }

  publish(hint: Hint): void {
    if (this.closed) return;
    this.local.publish(hint);
    try {
      const message: HintMessage = { type: HINT_MESSAGE, hint: { mailboxId: hint.mailboxId, modseq: hint.modseq } };
      this.channel.send?.(message);
    } catch (err) {
      // The primary is gone (shutting down): the other workers' safety poll covers what they miss.
      this.onError(err);
    }
  }

  subscribe(mailboxId: string, listener: HintListener): () => void {
    return this.local.subscribe(mailboxId, listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.channel.off('message', this.onMessage);
    await this.local.close();
  }
}
