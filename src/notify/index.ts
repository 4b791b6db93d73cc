// Picks the hint bus a process runs with: Redis pub/sub when a URL is configured, else the in-process bus.
import type { HintBus } from './hint-bus.js';
import { LocalHintBus } from './local-bus.js';
import { RedisHintBus } from './redis-bus.js';
import { IpcHintBus, type IpcChannel } from './ipc-bus.js';

export type { Hint, HintBus, HintListener } from './hint-bus.js';
export type { HintChange } from './hint-change.js';
export { MAX_HINT_CHANGE_BYTES } from './hint-change.js';
export { LocalHintBus } from './local-bus.js';
export { RedisHintBus } from './redis-bus.js';
export { RedisHintPublisher } from './redis-publisher.js';
export { IpcHintBus, isHintMessage, hintMessageOf } from './ipc-bus.js';

export async function openHintBus(
  redisUrl: string | undefined,
  options: { onError?: (err: unknown) => void; onReconnect?: () => void; ipc?: IpcChannel } = {},
): Promise<HintBus> {
  // Redis reaches every frontend; the IPC channel only the other workers of this `stratus serve`.
  if (redisUrl === undefined && options.ipc) return new IpcHintBus(options.ipc, options.onError);
  if (redisUrl === undefined) return new LocalHintBus(options.onError);
  return RedisHintBus.connect(redisUrl, options);
}
