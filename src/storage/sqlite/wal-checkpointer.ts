// WAL checkpoints of one SQLite file, run on a worker thread with its own connection instead of inside a commit on
// the event loop. SQLite's default (wal_autocheckpoint = 1000 pages) makes the commit that takes the WAL past 4 MB
// copy the whole log into the database file and fsync both (synchronous = NORMAL syncs only at checkpoints), on
// whichever thread committed: with message bodies in the same file that is a 10–60 ms stall of the server's event
// loop every few hundred APPENDs (issue #8's p99; bench/run-stratus.ts --loop-delay shows it as slow COMMITs and
// INSERTs). A PASSIVE checkpoint from another connection takes no lock a writer needs: commits go on appending to
// the WAL while it copies and syncs.
//
// Crash safety is what it was (src/storage/embedded-blob.ts): commits are still appended to one WAL in commit order,
// and a checkpoint still fsyncs the WAL before it copies a prefix of it into the database. What changes is when the
// WAL is synced: every `intervalMs` while it has new frames, instead of every 1000 pages (which, on an idle server,
// could be never until the OS wrote the pages back).
//
// The WAL restarts from its beginning (and is truncated to `journal_size_limit` by the writer) at the first write
// after a checkpoint that copied all of it. Under writes that never pause, a checkpoint from another thread may keep
// missing that moment and the file grows; the owning connections therefore keep an automatic checkpoint at
// SAFETY_AUTOCHECKPOINT_PAGES (64 MB), which then runs on the writer's thread once and lets the log restart.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** How often the worker checkpoints while the WAL has frames it has not copied. */
export const CHECKPOINT_INTERVAL_MS = 500;
/** The owning connections' own automatic checkpoint, a safety net for a checkpointer that falls behind (pages of 4 KB). */
export const SAFETY_AUTOCHECKPOINT_PAGES = 16_384;
/** The WAL file is cut back to this size when the log restarts (SQLite keeps and reuses it otherwise). */
export const JOURNAL_SIZE_LIMIT_BYTES = 16 * 1024 * 1024;

/** What one `PRAGMA wal_checkpoint(PASSIVE)` reported: frames in the WAL and frames now copied to the database. */
export interface CheckpointResult {
  busy: number;
  log: number;
  checkpointed: number;
}

type FromWorker = { type: 'checkpoint'; id: number | null; result: CheckpointResult } | { type: 'error'; id: number | null; message: string };

interface WorkerData {
  driver: string;
  path: string;
  intervalMs: number;
}

// CommonJS, evaluated: runs the same under tsx, plain node and the esbuild bundle (no worker file to locate).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { timeout: 0 });
db.pragma('synchronous = NORMAL');
let watching = false;
const checkpoint = (id) => {
  try {
    const result = db.pragma('wal_checkpoint(PASSIVE)')[0];
    // Unasked, nothing is reported, except the first whole-log checkpoint after a 'watch' (nextCompleteCheckpoint).
    if (id !== null) parentPort.postMessage({ type: 'checkpoint', id, result });
    else if (watching && result.checkpointed === result.log) {
      watching = false;
      parentPort.postMessage({ type: 'checkpoint', id, result });
    }
  } catch (error) {
    // SQLITE_BUSY: another connection (another process's checkpointer) is checkpointing; the next turn tries again.
    if (id !== null) parentPort.postMessage({ type: 'error', id, message: String(error && error.message) });
  }
};
const timer = setInterval(() => checkpoint(null), workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message.type === 'now') checkpoint(message.id);
  else if (message.type === 'watch') watching = true;
  else if (message.type === 'close') {
    clearInterval(timer);
    db.close();
    process.exit(0);
  }
});
`;

/** The worker that checkpoints one database file; started by its owner on first write, stopped by close(). */
export class WalCheckpointer {
  private worker: Worker | undefined;
  private closed = false;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (r: CheckpointResult) => void; reject: (e: Error) => void }>();
  private readonly completeWaiters: ((r: CheckpointResult) => void)[] = [];

  /**
   * `onFailure` runs once if the worker dies (the owner then turns its own automatic checkpoint back on, so the WAL
   * stays bounded without it).
   */
  constructor(
    private readonly path: string,
    private readonly onFailure: (error: Error) => void,
    private readonly intervalMs = CHECKPOINT_INTERVAL_MS,
  ) {}

  /** Starts the worker unless it runs (or ran and died, or the checkpointer was closed). Cheap to call per write. */
  start(): void {
    if (this.worker !== undefined || this.closed) return;
    let worker: Worker;
    try {
      const data: WorkerData = { driver: createRequire(import.meta.url).resolve('better-sqlite3'), path: this.path, intervalMs: this.intervalMs };
      worker = new Worker(WORKER_SOURCE, { eval: true, workerData: data });
    } catch (error) {
      // No worker (no driver to resolve, no threads): the owner's commits checkpoint as SQLite does by default.
      this.closed = true;
      this.onFailure(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    worker.unref(); // never what keeps a process alive
    worker.on('message', (message: FromWorker) => this.received(message));
    const failed = (error: Error): void => {
      if (this.closed) return;
      this.closed = true;
      for (const p of this.pending.values()) p.reject(error);
      this.pending.clear();
      this.onFailure(error);
    };
    worker.on('error', failed);
    worker.on('exit', (code) => failed(new Error(`the WAL checkpointer exited with code ${code}`)));
    this.worker = worker;
  }

  /** Checkpoints now (PASSIVE) on the worker, starting it if need be. */
  checkpoint(): Promise<CheckpointResult> {
    this.start();
    const worker = this.worker;
    if (worker === undefined || this.closed) return Promise.reject(new Error('the WAL checkpointer is closed'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.holdOpen();
      worker.postMessage({ type: 'now', id });
    });
  }

  /**
   * Resolves after the next checkpoint of the timer, begun after this call, that copied the whole WAL: every commit
   * made before the call is then in the database file (tests: the timer does run, and keeps up).
   */
  nextCompleteCheckpoint(): Promise<CheckpointResult> {
    this.start();
    return new Promise((resolve) => {
      this.completeWaiters.push(resolve);
      this.holdOpen();
      this.worker?.postMessage({ type: 'watch' });
    });
  }

  /** The worker is unref'd, except while someone awaits an answer from it (else the process could exit under them). */
  private holdOpen(): void {
    if (this.pending.size > 0 || this.completeWaiters.length > 0) this.worker?.ref();
    else this.worker?.unref();
  }

  async close(): Promise<void> {
    const worker = this.worker;
    if (this.closed) return;
    this.closed = true;
    if (worker === undefined) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.ref(); // until it has closed its connection
    worker.postMessage({ type: 'close' });
    await exited;
  }

  private received(message: FromWorker): void {
    if (message.type === 'checkpoint' && message.id === null) {
      for (const waiter of this.completeWaiters.splice(0)) waiter(message.result);
      this.holdOpen();
      return;
    }
    const waiting = message.id === null ? undefined : this.pending.get(message.id);
    if (waiting === undefined || message.id === null) return;
    this.pending.delete(message.id);
    if (message.type === 'checkpoint') waiting.resolve(message.result);
    else waiting.reject(new Error(message.message));
    this.holdOpen();
  }
}
