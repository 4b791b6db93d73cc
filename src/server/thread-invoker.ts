// The `thread` invoker: the functions run in N worker_threads of this process (function-thread.ts), each with its own
// store opened as openStore opens it (its own SQLite connections to the same WAL database), so the event loop that
// speaks IMAP/POP3 no longer spends its core on validation, mail-store logic and SQLite. Requests and envelopes
// cross by structured clone (they are plain JSON by design, DESIGN.md "The functions"); message bytes never cross:
// the client streams them to and from the blob store itself, as with every invoker.
//
// What the functions tell the process besides answers comes back over the same port, so it keeps its order:
// change hints and log lines. A hint a call's commit published travels in an answer (that call's, or one given
// before it) and is published on this process's hint bus just before that answer is handed over: the order an
// inline commit gives them, which the mailbox cache relies on to take a writer's own commit in without a log read.
// The store calls a thread makes are counted by its own meter and summed into this process's meter with each answer
// (and each sealsIdle / close reply), so call budgets (CallMeter, the tests' pins) read the same whichever invoker
// runs the functions. A thread that dies (uncaught error, out of memory) fails every call in flight on it with
// UNAVAILABLE, like a Lambda that crashed (lambda-invoker.ts); the next call starts a new thread.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Config } from '../config.js';
import type { Envelope, Operation, RequestOf } from '../mailstore/api.js';
import type { Invoker } from '../mailstore/invoker.js';
import type { Hint } from '../notify/index.js';
import type { CallCounts, CallMeter } from '../storage/metered.js';

/** What a function thread starts with (workerData): the process's own config, so its store is configured alike. */
export interface FunctionThreadData {
  config: Config;
  index: number;
}

/** Main thread → function thread. */
export type ToFunctionThread =
  | { kind: 'call'; id: number; op: Operation; request: unknown; /** Tests: die on this call, uncaught. */ crash?: true }
  | { kind: 'sealsIdle'; id: number }
  | { kind: 'close'; id: number };

export type ThreadLogLevel = 'info' | 'warn' | 'error';

/** Function thread → main thread. */
export type FromFunctionThread =
  | { kind: 'result'; id: number; envelope: Envelope<Operation>; hints?: Hint[]; counts?: CallCounts }
  /** handleRequest threw (a bug, not a store outcome): the caller sees the same kind of error as inline. */
  | { kind: 'threw'; id: number; error: { name: string; message: string; stack?: string }; hints?: Hint[]; counts?: CallCounts }
  /** A hint published while no call was in flight (the others travel in answers). */
  | { kind: 'hint'; hint: Hint }
  | { kind: 'done'; id: number; counts?: CallCounts }
  /** The thread has loaded its modules and opened its store: calls are answered without a start-up wait. */
  | { kind: 'ready' }
  | { kind: 'log'; level: ThreadLogLevel; fields: Record<string, unknown>; msg: string };

export type ThreadLog = (level: ThreadLogLevel, fields: Record<string, unknown>, msg: string) => void;

export interface ThreadInvokerOptions {
  config: Config;
  /** Worker threads to spread calls over (≥ 1). */
  threads: number;
  /** The worker entry (function-thread.ts or its build); see `functionThreadEntry`. */
  entry: URL;
  /** Where the threads' change hints go: the process's hint bus. */
  onHint: (hint: Hint) => void;
  log: ThreadLog;
  /**
   * The process's meter: the store calls the threads made since their last message (`counts`, in every answer) are
   * added to it, so it counts every call whichever thread made it.
   */
  meter?: CallMeter;
}

interface Pending {
  op: Operation;
  resolve(envelope: Envelope<Operation>): void;
  reject(err: Error): void;
}

interface Slot {
  index: number;
  worker: Worker | undefined;
  /** Calls posted to the current worker and not yet answered. */
  calls: Map<number, Pending>;
  /** sealsIdle / close requests posted to the current worker. */
  waits: Map<number, () => void>;
  /** Resolves when the current worker has exited. */
  exited: Promise<void> | undefined;
  /** Resolves when the current worker said `ready` (or exited first). */
  ready: Promise<void> | undefined;
  markReady: () => void;
}

/** How long close() lets a thread close its store before it is terminated anyway. */
const CLOSE_TIMEOUT_MS = 10_000;

function unavailable<O extends Operation>(message: string): Envelope<O> {
  return { ok: false, error: { code: 'UNAVAILABLE', message } };
}

/**
 * The worker entry beside this module: function-thread.ts when running from source (tsx), function-thread.js or .mjs
 * when built. Undefined when there is none (a bundle that left it out): the caller falls back to inline.
 */
export function functionThreadEntry(): URL | undefined {
  for (const name of ['./function-thread.ts', './function-thread.js', './function-thread.mjs']) {
    const url = new URL(name, import.meta.url);
    if (existsSync(fileURLToPath(url))) return url;
  }
  return undefined;
}

/**
 * A worker for `entry`. Node 20 does not hand a loader registered with `--import tsx` (or tsx's register API, as in
 * bin/stratus.js) down to worker threads, so a TypeScript entry starts from a bootstrap that registers tsx first.
 */
function startWorker(entry: URL, data: FunctionThreadData): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, { workerData: data });
  const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(bootstrap, { eval: true, workerData: data });
}

export class ThreadInvoker implements Invoker {
  private readonly slots: Slot[];
  private nextId = 1;
  private closing = false;
  /** Every call not yet answered, for close() to drain. */
  private readonly inFlight = new Set<Promise<unknown>>();
  /** Tests: the next call of this operation makes its thread die before answering. */
  private crashOn: Operation | undefined;

  constructor(private readonly options: ThreadInvokerOptions) {
    if (options.threads < 1) throw new RangeError('ThreadInvoker needs at least one thread');
    this.slots = Array.from({ length: options.threads }, (_, index) => ({ index, worker: undefined, calls: new Map(), waits: new Map(), exited: undefined, ready: undefined, markReady: () => undefined }));
    // Start every thread now: its start-up (module loading, opening SQLite) is not paid by the first commands.
    for (const slot of this.slots) this.ensureWorker(slot);
  }

  invoke<O extends Operation>(op: O, request: RequestOf<O>): Promise<Envelope<O>> {
    if (this.closing) return Promise.resolve(unavailable<O>('The server is shutting down'));
    const slot = this.pick();
    const worker = this.ensureWorker(slot);
    const id = this.nextId++;
    const crash = this.crashOn === op ? (true as const) : undefined;
    if (crash) this.crashOn = undefined;
    const answered = new Promise<Envelope<O>>((resolve, reject) => {
      slot.calls.set(id, { op, resolve: resolve as (envelope: Envelope<Operation>) => void, reject });
      try {
        worker.postMessage({ kind: 'call', id, op, request, ...(crash ? { crash } : {}) } satisfies ToFunctionThread);
      } catch (err) {
        // A request that cannot be cloned is a caller's bug, as a JSON failure is in the wire form of the inline invoker.
        slot.calls.delete(id);
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
    this.inFlight.add(answered);
    const settled = (): void => void this.inFlight.delete(answered);
    answered.then(settled, settled);
    return answered;
  }

  /** Resolves once no search-segment seal is queued or running in any thread (bench/, RunningServer.sealsIdle). */
  async sealsIdle(): Promise<void> {
    await Promise.all(this.slots.map((slot) => this.ask(slot, 'sealsIdle')));
  }

  /**
   * Resolves once every thread has loaded and opened its store (or died trying: then its calls fail UNAVAILABLE and
   * the next call starts another). `stratus serve` waits for it before it listens, so its first commands do not wait
   * for a thread's start-up (seconds when the thread compiles TypeScript through tsx) and time out meanwhile.
   */
  async ready(): Promise<void> {
    await Promise.all(this.slots.map((slot) => slot.ready));
  }

  /** Live worker threads (tests: none after close). */
  running(): number {
    return this.slots.filter((s) => s.worker !== undefined).length;
  }

  /** Tests: the next call of `op` is posted to a thread that then dies (an uncaught error) before answering it. */
  crashNext(op: Operation): void {
    this.crashOn = op;
  }

  /**
   * Waits for the calls in flight, then has every thread close its store (SQLite closed cleanly), and ends the
   * threads. A thread that does not get there within CLOSE_TIMEOUT_MS is terminated: its calls fail UNAVAILABLE.
   */
  async close(): Promise<void> {
    this.closing = true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_TIMEOUT_MS)));
    const drained = (async () => {
      while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
      await Promise.all(this.slots.map((slot) => this.ask(slot, 'close')));
    })();
    await Promise.race([drained, timeout]);
    clearTimeout(timer);
    await Promise.all(
      this.slots.map(async (slot) => {
        await slot.worker?.terminate();
        await slot.exited;
      }),
    );
  }

  /** The slot with the fewest calls in flight (the first on a tie, so one busy thread does not starve). */
  private pick(): Slot {
    let best = this.slots[0]!;
    for (const slot of this.slots) if (slot.calls.size < best.calls.size) best = slot;
    return best;
  }

  private ensureWorker(slot: Slot): Worker {
    if (slot.worker) return slot.worker;
    const worker = startWorker(this.options.entry, { config: this.options.config, index: slot.index });
    slot.worker = worker;
    slot.ready = new Promise((resolve) => (slot.markReady = resolve));
    worker.on('message', (message: FromFunctionThread) => this.received(slot, worker, message));
    worker.on('error', (err) => this.options.log('error', { thread: slot.index, err: err.message, stack: err.stack }, 'function thread failed'));
    slot.exited = new Promise((resolve) =>
      worker.once('exit', (code) => {
        this.exited(slot, worker, code);
        resolve();
      }),
    );
    return worker;
  }

  private ask(slot: Slot, kind: 'sealsIdle' | 'close'): Promise<void> {
    const worker = slot.worker;
    if (!worker) return Promise.resolve();
    const id = this.nextId++;
    return new Promise((resolve) => {
      slot.waits.set(id, resolve);
      worker.postMessage({ kind, id } satisfies ToFunctionThread);
    });
  }

  private received(slot: Slot, worker: Worker, message: FromFunctionThread): void {
    if (slot.worker !== worker) return;
    if ('counts' in message && message.counts) this.options.meter?.add(message.counts);
    if ('hints' in message && message.hints) for (const hint of message.hints) this.options.onHint(hint);
    switch (message.kind) {
      case 'result': {
        const call = slot.calls.get(message.id);
        slot.calls.delete(message.id);
        call?.resolve(message.envelope);
        return;
      }
      case 'threw': {
        const call = slot.calls.get(message.id);
        slot.calls.delete(message.id);
        const err = new Error(message.error.message);
        err.name = message.error.name;
        if (message.error.stack !== undefined) err.stack = message.error.stack;
        call?.reject(err);
        return;
      }
      case 'hint':
        this.options.onHint(message.hint);
        return;
      case 'done': {
        const wait = slot.waits.get(message.id);
        slot.waits.delete(message.id);
        wait?.();
        return;
      }
      case 'log':
        this.options.log(message.level, { thread: slot.index, ...message.fields }, message.msg);
        return;
      case 'ready':
        slot.markReady();
        return;
    }
  }

  /** A thread ended: its calls in flight fail with UNAVAILABLE; the next call starts a new one. */
  private exited(slot: Slot, worker: Worker, code: number): void {
    if (slot.worker !== worker) return;
    slot.worker = undefined;
    slot.markReady();
    const lost = [...slot.calls.values()];
    slot.calls.clear();
    for (const call of lost) call.resolve(unavailable('The mail store function stopped, try again'));
    for (const wait of slot.waits.values()) wait();
    slot.waits.clear();
    if (!this.closing) {
      this.options.log('error', { thread: slot.index, code, lostCalls: lost.length, ops: [...new Set(lost.map((c) => c.op))] }, 'function thread exited; a new one starts for the next call');
    }
  }
}
