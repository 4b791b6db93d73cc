// RedisHintBus after Redis goes away and comes back (a failover, a restart): `onReconnect` runs on the FIRST
// reconnect too, and by then the mailbox channels are subscribed again, so the reads it starts (server/main.ts:
// every watched mailbox) miss nothing published afterwards. What lets the safety poll be slow (src/config.ts).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RedisHintBus, type Hint } from '../../src/notify/index.js';
import { startRedis, type RunningRedis } from './redis-server.js';

describe('RedisHintBus reconnects', () => {
  let redis: RunningRedis | undefined;
  const buses: RedisHintBus[] = [];
  after(async () => {
    await Promise.all(buses.map((b) => b.close()));
    await redis?.stop();
  });

  it('runs onReconnect on the first reconnect, with its channels subscribed again', async () => {
    redis = await startRedis();
    const port = redis.port;
    let reconnected!: () => void;
    const back = new Promise<void>((resolve) => (reconnected = resolve));
    let calls = 0;
    const bus = await RedisHintBus.connect(redis.url, {
      onReconnect: () => {
        calls++;
        reconnected();
      },
      onError: () => undefined, // connection refused while Redis is down
    });
    buses.push(bus);
    const hints: Hint[] = [];
    let heard!: () => void;
    const got = new Promise<void>((resolve) => (heard = resolve));
    bus.subscribe('mbx-r', (h) => {
      hints.push(h);
      heard();
    });
    assert.equal(calls, 0, 'not at the first connect');

    await redis.stop();
    redis = await startRedis(port);
    await withTimeout(back, 'onReconnect');
    assert.equal(calls, 1);
    // Another process publishes once A's onReconnect ran: A's channel is back already.
    const other = await RedisHintBus.connect(redis.url);
    buses.push(other);
    other.publish({ mailboxId: 'mbx-r', modseq: 9 });
    await withTimeout(got, 'the hint after the reconnect');
    assert.deepEqual(hints, [{ mailboxId: 'mbx-r', modseq: 9 }]);
  });
});

async function withTimeout(p: Promise<void>, what: string, ms = 20_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
