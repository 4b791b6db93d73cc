// Hints between the worker processes of one `stratus serve` (STRATUS_WORKERS > 1, src/server/workers.ts), without
// Redis: a worker hands its own hints to its local listeners at once and sends them to the primary process over the
// IPC channel; the primary relays each hint to every other worker. As with every bus, a hint says "look now" (and
// may carry the commit's change, hint-change.ts).
import type { Hint, HintBus, HintListener } from './hint-bus.js';
import { LocalHintBus } from './local-bus.js';
import { hintChangeJson, isHintChange } from './hint-change.js';

export const HINT_MESSAGE = 'stratus:hint';

export interface HintMessage {
  type: typeof HINT_MESSAGE;
  hint: Hint;
}

/** A hint message whose hint, and change when it has one, is well-formed (hint-change.ts isHintChange). */
export function isHintMessage(message: unknown): message is HintMessage {
  const hint = plainHintOf(message);
  if (hint === undefined) return false;
  const change = (message as { hint: { change?: unknown } }).hint.change;
  return change === undefined || isHintChange(change, hint.mailboxId, hint.modseq);
}

/**
 * The hint in a message, as far as it is well-formed: a malformed change is left out (the receivers read the log),
 * the hint kept. Undefined when the message is not a hint. The primary relays what this gives (workers.ts).
 */
export function hintMessageOf(message: unknown): HintMessage | undefined {
  if (isHintMessage(message)) return message;
  const hint = plainHintOf(message);
  return hint === undefined ? undefined : { type: HINT_MESSAGE, hint };
}

function plainHintOf(message: unknown): Hint | undefined {
  if (typeof message !== 'object' || message === null) return undefined;
  const m = message as { type?: unknown; hint?: { mailboxId?: unknown; modseq?: unknown } };
  if (m.type !== HINT_MESSAGE || typeof m.hint?.mailboxId !== 'string' || typeof m.hint.modseq !== 'number') return undefined;
  return { mailboxId: m.hint.mailboxId, modseq: m.hint.modseq };
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
    const relayed = this.closed ? undefined : hintMessageOf(message);
    if (relayed) this.local.publish(relayed.hint);
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
      // The change goes along when it is small (the commit path attached it only then; hint-change.ts).
      const json = hint.change === undefined ? undefined : hintChangeJson(hint.change);
      const message: HintMessage = {
        type: HINT_MESSAGE,
        hint: { mailboxId: hint.mailboxId, modseq: hint.modseq, ...(json !== undefined ? { change: hint.change } : {}) },
      };
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
