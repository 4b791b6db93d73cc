// Publish-only hints for the stateless functions (Lambda): with the `lambda` invoker, commits happen in the
// function, not in a frontend, so the function must tell Redis itself. One connection per warm container, opened
// on the first hint. Unlike the frontend's bus, sending is awaited: `flush()` runs before the invocation answers,
// because Lambda freezes the container once it has answered and a hint still in a socket buffer would leave late or
// never. The wait is bounded: a slow or absent Redis delays an answer by at most `flushTimeoutMs`, and a hint lost
// that way is covered by the frontends' safety poll (the log is the truth).
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Hint } from './hint-bus.js';
import { hintChannel, hintPayload } from './redis-bus.js';

export interface RedisHintPublisherOptions {
  onError?: (err: unknown) => void;
  /** Longest wait for the pending hints in `flush()`; default 500 ms. */
  flushTimeoutMs?: number;
}

export class RedisHintPublisher {
  private readonly origin = randomUUID();
  private readonly redis: Redis;
  private pending: Promise<unknown>[] = [];
  private readonly onError: (err: unknown) => void;
  private readonly flushTimeoutMs: number;

  constructor(url: string, options: RedisHintPublisherOptions = {}) {
    this.onError = options.onError ?? (() => undefined);
    this.flushTimeoutMs = options.flushTimeoutMs ?? 500;
    // Connects lazily on the first PUBLISH (queued meanwhile); one retry at most, then the hint is dropped.
    this.redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 2_000 });
    this.redis.on('error', this.onError);
  }

  /** Never throws: the hint is sent in the background and awaited by the next `flush()`. */
  publish(hint: Hint): void {
    try {
      this.pending.push(this.redis.publish(hintChannel(hint.mailboxId), hintPayload(this.origin, hint)).catch(this.onError));
    } catch (err) {
      this.onError(err);
    }
  }

  /** Waits (bounded) until every hint published so far has reached Redis or failed. */
  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const pending = this.pending;
    this.pending = [];
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.flushTimeoutMs);
    });
    await Promise.race([Promise.allSettled(pending), timeout]);
    clearTimeout(timer);
  }

  async close(): Promise<void> {
    await this.flush();
    this.redis.disconnect();
  }
}
