// A function thread (thread-invoker.ts): its own store, opened from the process's config exactly as the inline
// invoker's is, answering `{ id, op, request }` with `{ id, envelope, counts }` from handleRequest. What main.ts
// wires on the inline store is wired here for this thread's commits: change hints go to the main thread (one port,
// so in commit order; while calls are in flight, with the next answer, see `hints`), and the search-segment seals a
// commit of this thread makes due run here, with this thread's fresh-doc cache.
import { parentPort, workerData } from 'node:worker_threads';
import { openStore } from './store.js';
import { handleRequest } from '../mailstore/functions.js';
import { SealQueue } from '../mailstore/search-seal.js';
import { FRESH_DOC_CHARS, FreshDocCache } from '../mailstore/search-fresh-docs.js';
import { CallMeter, type CallCounts } from '../storage/metered.js';
import type { Hint } from '../notify/index.js';
import { hintChangeJson } from '../notify/hint-change.js';
import type { FromFunctionThread, FunctionThreadData, ThreadLogLevel, ToFunctionThread } from './thread-invoker.js';

const port = parentPort;
if (!port) throw new Error('function-thread.ts runs as a worker thread of `stratus serve` (thread-invoker.ts)');
const { config } = workerData as FunctionThreadData;

const send = (message: FromFunctionThread): void => port.postMessage(message);
const log = (level: ThreadLogLevel, fields: Record<string, unknown>, msg: string): void => send({ kind: 'log', level, fields, msg });
const reason = (err: unknown): string => (err instanceof Error ? err.message : String(err));

const store = openStore(config);
/** Calls being answered now. */
let inFlight = 0;
/**
 * Hints published while calls are in flight, sent with the next answer: the main thread publishes them just before it
 * hands that answer over, as an inline commit publishes its hint just before its caller takes the result. A hint sent
 * alone could be seen a turn or more before its commit's answer, and the mailbox cache would read back, for the other
 * sessions, a change the writer's answer is about to hand them (mailbox-cache.ts hinted, committed). Outside a call
 * (none in flight) a hint goes at once. A thread that dies loses the hints it held, as a lost hint is lost anywhere:
 * the safety poll finds those commits (DESIGN.md "Notifications between frontends").
 */
let hints: Hint[] = [];
store.ctx.publishHint = (hint) => {
  // The commit's change goes along when small (src/notify/hint-change.ts): the main thread's bus hands it on as is.
  const small = hint.change !== undefined && hintChangeJson(hint.change) !== undefined;
  const copy: Hint = { mailboxId: hint.mailboxId, modseq: hint.modseq, ...(small ? { change: hint.change } : {}) };
  if (inFlight > 0) hints.push(copy);
  else send({ kind: 'hint', hint: copy });
};
const seals = new SealQueue(store.ctx, (err, mailboxId) => log('warn', { err: reason(err), mailboxId }, 'search seal failed'));
store.ctx.uidsAllocated = (mailboxId, from, to) => seals.allocated(mailboxId, from, to);
store.ctx.sealDue = (mailboxId) => seals.request(mailboxId);
store.ctx.freshDocs = new FreshDocCache(FRESH_DOC_CHARS);
store.ctx.onSnapshotError = (err) => log('warn', { err: reason(err) }, 'index snapshot write failed');

/** The hints waiting for an answer, taken for it. */
function takeHints(): { hints?: Hint[] } {
  if (hints.length === 0) return {};
  const taken = hints;
  hints = [];
  return { hints: taken };
}

/**
 * The store calls this thread made since its last answer (its requests, and the seals and snapshot writes that ran
 * meanwhile), handed over with the answer for the process's meter (CallMeter.add); none: nothing.
 */
function takeCounts(): { counts?: CallCounts } {
  const counts = store.meter.counts;
  if (counts.kv === 0 && counts.blob === 0 && counts.blobBytesRead === 0 && counts.rru === 0 && counts.wru === 0) return {};
  store.meter.counts = CallMeter.zero();
  return { counts };
}

async function call(message: Extract<ToFunctionThread, { kind: 'call' }>): Promise<void> {
  inFlight++;
  try {
    const envelope = await handleRequest(store.ctx, message.op, message.request);
    inFlight--;
    send({ kind: 'result', id: message.id, envelope, ...takeHints(), ...takeCounts() });
  } catch (err) {
    inFlight--;
    const error = err instanceof Error ? { name: err.name, message: err.message, ...(err.stack ? { stack: err.stack } : {}) } : { name: 'Error', message: String(err) };
    send({ kind: 'threw', id: message.id, error, ...takeHints(), ...takeCounts() });
  }
}

send({ kind: 'ready' });

port.on('message', (message: ToFunctionThread) => {
  switch (message.kind) {
    case 'call':
      // Tests (ThreadInvoker.crashNext): die as an uncaught error would, with this call in flight.
      if (message.crash) throw new Error(`function thread crashed on purpose before ${message.op}`);
      void call(message);
      return;
    case 'sealsIdle':
      void seals.idle().then(() => send({ kind: 'done', id: message.id, ...takeCounts() }));
      return;
    case 'close':
      void (async () => {
        try {
          await seals.close();
          await store.close();
        } catch (err) {
          log('warn', { err: reason(err) }, 'function thread store close failed');
        }
        send({ kind: 'done', id: message.id, ...takeCounts() });
      })();
      return;
  }
});
