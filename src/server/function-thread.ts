// A function thread (thread-invoker.ts): its own store, opened from the process's config exactly as the inline
// invoker's is, answering `{ id, op, request }` with `{ id, envelope }` from handleRequest. What main.ts wires on the
// inline store is wired here for this thread's commits: change hints go to the main thread (one port, so in commit
// order), and the search-segment seals a commit of this thread makes due run here, with this thread's fresh-doc cache.
import { parentPort, workerData } from 'node:worker_threads';
import { openStore } from './store.js';
import { handleRequest } from '../mailstore/functions.js';
import { SealQueue } from '../mailstore/search-seal.js';
import { FRESH_DOC_CHARS, FreshDocCache } from '../mailstore/search-fresh-docs.js';
import type { FromFunctionThread, FunctionThreadData, ThreadLogLevel, ToFunctionThread } from './thread-invoker.js';

const port = parentPort;
if (!port) throw new Error('function-thread.ts runs as a worker thread of `stratus serve` (thread-invoker.ts)');
const { config } = workerData as FunctionThreadData;

const send = (message: FromFunctionThread): void => port.postMessage(message);
const log = (level: ThreadLogLevel, fields: Record<string, unknown>, msg: string): void => send({ kind: 'log', level, fields, msg });
const reason = (err: unknown): string => (err instanceof Error ? err.message : String(err));

const store = openStore(config);
store.ctx.publishHint = (hint) => send({ kind: 'hint', hint: { mailboxId: hint.mailboxId, modseq: hint.modseq } });
const seals = new SealQueue(store.ctx, (err, mailboxId) => log('warn', { err: reason(err), mailboxId }, 'search seal failed'));
store.ctx.uidsAllocated = (mailboxId, from, to) => seals.allocated(mailboxId, from, to);
store.ctx.sealDue = (mailboxId) => seals.request(mailboxId);
store.ctx.freshDocs = new FreshDocCache(FRESH_DOC_CHARS);
store.ctx.onSnapshotError = (err) => log('warn', { err: reason(err) }, 'index snapshot write failed');

async function call(message: Extract<ToFunctionThread, { kind: 'call' }>): Promise<void> {
  try {
    const envelope = await handleRequest(store.ctx, message.op, message.request);
    send({ kind: 'result', id: message.id, envelope });
  } catch (err) {
    const error = err instanceof Error ? { name: err.name, message: err.message, ...(err.stack ? { stack: err.stack } : {}) } : { name: 'Error', message: String(err) };
    send({ kind: 'threw', id: message.id, error });
  }
}

port.on('message', (message: ToFunctionThread) => {
  switch (message.kind) {
    case 'call':
      // Tests (ThreadInvoker.crashNext): die as an uncaught error would, with this call in flight.
      if (message.crash) throw new Error(`function thread crashed on purpose before ${message.op}`);
      void call(message);
      return;
    case 'sealsIdle':
      void seals.idle().then(() => send({ kind: 'done', id: message.id }));
      return;
    case 'close':
      void (async () => {
        try {
          await seals.close();
          await store.close();
        } catch (err) {
          log('warn', { err: reason(err) }, 'function thread store close failed');
        }
        send({ kind: 'done', id: message.id });
      })();
      return;
  }
});
