// Lambda wiring for the function families (functions/*.ts): decode the event, run the operation, encode the
// envelope. The store is built once per container from the same STRATUS_* configuration as the frontend.
//
// Hints: with the `lambda` invoker the commits happen here, not in a frontend, so with STRATUS_REDIS_URL set (the
// CDK stack sets it on every function) each commit's `{mailboxId, modseq}` goes to Redis from the function, and the
// invocation answers only after they are sent (a frozen container sends nothing). Publishing here rather than in the
// frontend from the commit's response also covers the commits no frontend sees: SES deliveries (ingest) and the
// admin API.
//
// Seals: the search-segment seal a commit makes due (src/mailstore/search-seal.ts) cannot run in the background of a
// Lambda container (it freezes after the answer). With STRATUS_SEAL_QUEUE_URL set (the CDK stack sets it on the
// message and ingest functions) the request goes to an SQS FIFO queue instead (seal-requests.ts), read by the seal
// function (seal-handler.ts); the invocation waits for the send, not for the seal.
import type { Envelope, Operation } from '../mailstore/api.js';
import { FUNCTION_OF, handleRequest, isOperation } from '../mailstore/functions.js';
import { loadConfig } from '../config.js';
import { RedisHintPublisher } from '../notify/index.js';
import { openStore, type Store } from './store.js';
import { sealRequestsFromConfig, type SealRequests } from './seal-requests.js';

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

const sealWired = new WeakMap<Store, SealRequests | null>();

/** Wires `store`'s seal hooks to the container's seal queue, once per store; undefined when there is none. */
export function containerSeals(store: Store, open: () => SealRequests | undefined = () => sealRequestsFromConfig(loadConfig())): SealRequests | undefined {
  let seals = sealWired.get(store);
  if (seals === undefined) {
    seals = open() ?? null;
    seals?.wire(store.ctx);
    sealWired.set(store, seals);
  }
  return seals ?? undefined;
}

export function makeLambdaHandler(
  family: FunctionFamily,
  open: () => Store = () => openStore(loadConfig()),
  openHints: () => RedisHintPublisher | undefined = hintsFromConfig,
  openSeals?: () => SealRequests | undefined,
) {
  let store: Store | undefined; // built on the first invocation, reused while the container lives
  return async (event: FunctionEvent): Promise<Envelope<Operation>> => {
    if (!event || typeof event.op !== 'string' || !isOperation(event.op) || FUNCTION_OF[event.op] !== family) {
      return { ok: false, error: { code: 'BADREQUEST', message: `The ${family} function does not serve "${String(event?.op)}"` } };
    }
    store ??= open();
    const hints = containerHints(store, openHints);
    const seals = containerSeals(store, openSeals);
    try {
      return await handleRequest(store.ctx, event.op, event.body);
    } finally {
      await Promise.all([hints?.flush(), seals?.flush()]);
    }
  };
}
