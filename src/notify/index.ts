// Picks the hint bus a process runs with: Redis pub/sub when a URL is configured, else the in-process bus.
import type { HintBus } from './hint-bus.js';
import { LocalHintBus } from './local-bus.js';
import { RedisHintBus } from './redis-bus.js';

export type { Hint, HintBus, HintListener } from './hint-bus.js';
export { LocalHintBus } from './local-bus.js';
export { RedisHintBus } from './redis-bus.js';

export async function openHintBus(
  redisUrl: string | undefined,
  options: { onError?: (err: unknown) => void; onReconnect?: () => void } = {},
): Promise<HintBus> {
  if (redisUrl === undefined) return new LocalHintBus(options.onError);
  return RedisHintBus.connect(redisUrl, options);
}
