// Lambda wiring for the function families (functions/*.ts): decode the event, run the operation, encode the
// envelope. The store is built once per container from the same STRATUS_* configuration as the frontend.
//
// Hints: with the `lambda` invoker the commits happen here, not in a frontend, so with STRATUS_REDIS_URL set (the
// CDK stack sets it on every function) each commit's `{mailboxId, modseq}` goes to Redis from the function, and the
// invocation answers only after they are sent (a frozen container sends nothing). Publishing here rather than in the
// frontend from the commit's response also covers the commits no frontend sees: SES deliveries (ingest) and the
// admin API.
import type { Envelope, Operation } from '../mailstore/api.js';
import { FUNCTION_OF, handleRequest, isOperation } from '../mailstore/functions.js';
import { loadConfig } from '../config.js';
import { RedisHintPublisher } from '../notify/index.js';
import { openStore, type Store } from './store.js';

export interface FunctionEvent {
  op: string;
  body: unknown;
}

export type FunctionFamily = 'auth' | 'mailbox' | 'message' | 'ingest' | 'admin' | 'quota' | 'acl';

/** Sends what the commits of an invocation published; `flush` before answering. */
export interface FunctionHints {
  flush(): Promise<void>;
}

/** The hint publisher for Redis when configured, undefined otherwise (one process: the frontend's own bus). */
export function hintsFromConfig(redisUrl: string | undefined = loadConfig().redisUrl): RedisHintPublisher | undefined {
  if (redisUrl === undefined) return undefined;
  return new RedisHintPublisher(redisUrl, {
    onError: (err) => console.warn(JSON.stringify({ msg: 'hint not published', err: err instanceof Error ? err.message : String(err) })),
  });
}

const wired = new WeakMap<Store, FunctionHints | null>();

/** Wires `store`'s commits to the container's hint publisher, once per store; undefined when there is none. */
export function containerHints(store: Store, open: () => RedisHintPublisher | undefined = hintsFromConfig): FunctionHints | undefined {
  let hints = wired.get(store);
  if (hints === undefined) {
    const publisher = open();
    if (publisher) store.ctx.publishHint = (hint) => publisher.publish(hint);
    hints = publisher ?? null;
    wired.set(store, hints);
  }
  return hints ?? undefined;
}

export function makeLambdaHandler(
  family: FunctionFamily,
  open: () => Store = () => openStore(loadConfig()),
  openHints: () => RedisHintPublisher | undefined = hintsFromConfig,
) {
  let store: Store | undefined; // built on the first invocation, reused while the container lives
  return async (event: FunctionEvent): Promise<Envelope<Operation>> => {
    if (!event || typeof event.op !== 'string' || !isOperation(event.op) || FUNCTION_OF[event.op] !== family) {
      return { ok: false, error: { code: 'BADREQUEST', message: `The ${family} function does not serve "${String(event?.op)}"` } };
    }
    store ??= open();
    const hints = containerHints(store, openHints);
    try {
      return await handleRequest(store.ctx, event.op, event.body);
    } finally {
      await hints?.flush();
    }
  };
}
