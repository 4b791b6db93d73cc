// Hints between processes over Redis pub/sub (ioredis; ElastiCache Valkey in AWS). Each process holds two
// connections whatever its number of sessions: one to publish, one subscriber connection for all its mailboxes.
//
// Channel per mailbox (`stratus:h:<mailboxId>`), not per user: the commit path knows the mailbox and its new
// MODSEQ, and a frontend only cares about mailboxes some local session has selected. A per-user channel would
// wake every frontend holding any of the user's mailboxes for every delivery to any other one (Junk, Sent,
// folders nobody has open), each wake costing a store read; per-mailbox channels make the broker do that filtering.
// The price is one SUBSCRIBE per (process, mailbox) on first SELECT and one UNSUBSCRIBE when the last session there
// leaves — the table below reference-counts them. (NOTIFY, which wants STATUS for unselected mailboxes, would add
// a per-user channel beside these.)
//
// A process delivers its own hints to its local listeners at once and ignores their echo from Redis (the payload
// names the origin). Redis pub/sub is at-most-once: a hint published while a connection is down is lost, so after
// a reconnect `onReconnect` runs (the server wires it to an immediate poll of every watched mailbox).
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Hint, HintBus, HintListener } from './hint-bus.js';
import { ListenerTable } from './hint-bus.js';
import { hintChangeJson, parseHintChange } from './hint-change.js';

const PREFIX = 'stratus:h:';

/** The channel of a mailbox's hints: shared with RedisHintPublisher. */
export function hintChannel(mailboxId: string): string {
  return PREFIX + mailboxId;
}

/**
 * The message on a channel: `<origin> <modseq>`, or `<origin>|<change JSON> <modseq>` when the hint carries a change
 * (hint-change.ts). The change sits inside the first word, not after the MODSEQ, because frontends before it split
 * at the FIRST space and read the rest as the MODSEQ: they see an origin that is not theirs and the right MODSEQ,
 * and read the log as ever. That needs a change without spaces: JSON.stringify puts none outside strings, and those
 * inside strings (a path, a keyword) are written as the JSON escape \u0020, which JSON.parse reads back. An origin
 * is a UUID: no `|`, no space.
 */
export function hintPayload(origin: string, hint: Hint): string {
  const json = hint.change === undefined ? undefined : hintChangeJson(hint.change);
  return json === undefined ? `${origin} ${hint.modseq}` : `${origin}|${json.replaceAll(' ', '\\u0020')} ${hint.modseq}`;
}

/** A message as hintPayload wrote it (or an older frontend did), from `origin`; undefined when it is not a hint. */
export function parseHintPayload(mailboxId: string, payload: string): { origin: string; hint: Hint } | undefined {
  const space = payload.lastIndexOf(' ');
  if (space < 0) return undefined;
  const modseq = Number(payload.slice(space + 1));
  if (!Number.isSafeInteger(modseq) || modseq < 1) return undefined;
  const head = payload.slice(0, space);
  const bar = head.indexOf('|');
  if (bar < 0) return { origin: head, hint: { mailboxId, modseq } };
  // A change that does not parse or does not fit this hint is dropped; the hint itself still says "look now".
  const change = parseHintChange(head.slice(bar + 1), mailboxId, modseq);
  return { origin: head.slice(0, bar), hint: change ? { mailboxId, modseq, change } : { mailboxId, modseq } };
}

export interface RedisHintBusOptions {
  onError?: (err: unknown) => void;
  /** Runs when the subscriber connection is back after a loss (hints may have been missed meanwhile). */
  onReconnect?: () => void;
}

export class RedisHintBus implements HintBus {
  private readonly listeners = new ListenerTable();
  private readonly origin = randomUUID();
  private closed = false;

  private constructor(
    private readonly pub: Redis,
    private readonly sub: Redis,
    private readonly options: RedisHintBusOptions,
  ) {
    const onError = options.onError ?? (() => undefined);
    pub.on('error', onError);
    sub.on('error', onError);
    sub.on('message', (channel: string, payload: string) => this.received(channel, payload));
    // Built once both connections are up (connect()): the first 'ready' has fired already, so every one heard here
    // is a reconnect. (Waiting for a second 'ready' missed the first reconnect of every process.) ioredis queues the
    // resubscriptions right after emitting 'ready'; a PING queued behind them answers once they are in effect, so
    // the reads onReconnect starts cannot miss a hint published before the channels are back.
    sub.on('ready', () => {
      queueMicrotask(() => {
        const reconnected = (): void => {
          if (!this.closed) options.onReconnect?.();
        };
        sub.ping().then(reconnected, reconnected);
      });
    });
  }

  /** Connects both connections; fails (rather than starting without hints) when Redis cannot be reached. */
  static async connect(url: string, options: RedisHintBusOptions = {}): Promise<RedisHintBus> {
    // No offline queue for publishing: a hint that cannot go now is dropped, never delivered late in a burst.
    const pub = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    const sub = new Redis(url, { lazyConnect: true, autoResubscribe: true });
    try {
      await Promise.all([pub.connect(), sub.connect()]);
    } catch (err) {
      pub.disconnect();
      sub.disconnect();
      throw new Error(`cannot connect to Redis at ${url}: ${err instanceof Error ? err.message : String(err)}`);
    }
    return new RedisHintBus(pub, sub, options);
  }

  publish(hint: Hint): void {
    if (this.closed) return;
    queueMicrotask(() => this.listeners.deliver(hint, this.onError));
    try {
      this.pub.publish(hintChannel(hint.mailboxId), hintPayload(this.origin, hint)).catch(this.onError);
    } catch (err) {
      this.onError(err);
    }
  }

  subscribe(mailboxId: string, listener: HintListener): () => void {
    if (this.listeners.add(mailboxId, listener)) {
      this.sub.subscribe(hintChannel(mailboxId)).catch(this.onError);
    }
    return () => {
      if (this.listeners.remove(mailboxId, listener) && !this.closed) {
        this.sub.unsubscribe(hintChannel(mailboxId)).catch(this.onError);
      }
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([end(this.pub), end(this.sub)]);
  }

  private get onError(): (err: unknown) => void {
    return this.options.onError ?? (() => undefined);
  }

  private received(channel: string, payload: string): void {
    if (!channel.startsWith(PREFIX)) return;
    const got = parseHintPayload(channel.slice(PREFIX.length), payload);
    if (got === undefined || got.origin === this.origin) return;
    this.listeners.deliver(got.hint, this.onError);
  }
}

/**
 * QUIT when the connection is up, else drop it: a QUIT sent while ioredis reconnects is refused (no offline queue:
 * the publisher) or waits for Redis (the subscriber), and the connection then went on reconnecting, holding the
 * process open after close() (a shutdown during a Redis outage; test/notify/redis-reconnect.test.ts hung in CI).
 */
function end(connection: Redis): Promise<void> {
  if (connection.status !== 'ready') {
    connection.disconnect();
    return Promise.resolve();
  }
  return connection.quit().then(
    () => undefined,
    () => connection.disconnect(),
  );
}

