// Lambda wiring for the function families (functions/*.ts): decode the event, run the operation, encode the
// envelope. The store is built once per container from the same STRATUS_* configuration as the frontend.
import type { Envelope, Operation } from '../mailstore/api.js';
import { FUNCTION_OF, handleRequest, isOperation } from '../mailstore/functions.js';
import { loadConfig } from '../config.js';
import { openStore, type Store } from './store.js';

export interface FunctionEvent {
  op: string;
  body: unknown;
}

export type FunctionFamily = 'auth' | 'mailbox' | 'message' | 'ingest' | 'admin' | 'quota';

export function makeLambdaHandler(family: FunctionFamily, open: () => Store = () => openStore(loadConfig())) {
  let store: Store | undefined; // built on the first invocation, reused while the container lives
  return async (event: FunctionEvent): Promise<Envelope<Operation>> => {
    if (!event || typeof event.op !== 'string' || !isOperation(event.op) || FUNCTION_OF[event.op] !== family) {
      return { ok: false, error: { code: 'BADREQUEST', message: `The ${family} function does not serve "${String(event?.op)}"` } };
    }
    store ??= open();
    return handleRequest(store.ctx, event.op, event.body);
  };
}
