// `stratus serve` with STRATUS_WORKERS = N > 1, to use every core on one machine: the primary process makes what
// the workers would otherwise race to create (the SQLite schema, the token key, the admin token, the self-signed
// certificate), forks N workers that share the listening sockets (node:cluster hands out connections
// round-robin), relays change hints between them (src/notify/ipc-bus.ts: no Redis needed), starts a new worker
// when one dies, and on SIGTERM / SIGINT stops every worker (each says BYE to its clients) before it exits.
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { hintMessageOf } from '../notify/index.js';
import { openStore } from './store.js';
import { loadTlsMaterial } from './tls.js';

/** A worker that dies this soon after it started is not restarted: the whole service stops (a port in use…). */
const EARLY_EXIT_MS = 10_000;
const RESTART_DELAY_MS = 1_000;
/**
 * libuv's thread pool per worker, unless the operator set UV_THREADPOOL_SIZE (it is read once, when the process
 * starts, so only a parent can choose it). Node's default of 4 caps the blob writes that can wait on fsync at once:
 * with a sync taking milliseconds, 4 threads cap APPEND at a few hundred per second whatever the CPU; with more,
 * sessions wait on their syncs in parallel and the file system commits concurrent syncs together. `npm start` sets
 * the same for the single process (package.json).
 */
export const THREAD_POOL_SIZE = '32';

export async function runPrimary(config: Config, logger: Logger): Promise<void> {
  const store = openStore(config);
  await store.close();
  if (config.tlsCert !== undefined || config.backend === 'embedded') {
    // Failures are the workers' to report (startServer decides whether they are fatal).
    await loadTlsMaterial({ dataDir: config.dataDir, certPath: config.tlsCert, keyPath: config.tlsKey, hostname: config.host }).catch(() => undefined);
  }

  const workers = new Set<Worker>();
  let stopping = false;
  let exitCode = 0;
  let allExited: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (allExited = resolve));

  const stopAll = (code: number): void => {
    if (stopping) return;
    stopping = true;
    exitCode = code;
    for (const w of workers) w.process.kill('SIGTERM');
    if (workers.size === 0) allExited();
  };

  const fork = (): void => {
    const started = Date.now();
    const worker = cluster.fork({ UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? THREAD_POOL_SIZE });
    workers.add(worker);
    worker.on('message', (message: unknown) => {
      // A hint with a malformed change is relayed without it (the others read the log), never dropped.
      const hint = hintMessageOf(message);
      if (!hint) return;
      for (const other of workers) if (other !== worker && other.isConnected()) other.send(hint);
    });
    worker.on('exit', (code, signal) => {
      workers.delete(worker);
      if (stopping) {
        if (workers.size === 0) allExited();
        return;
      }
      const early = Date.now() - started < EARLY_EXIT_MS;
      logger.error({ pid: worker.process.pid, code, signal }, early ? 'worker failed to start; stopping' : 'worker died; starting another');
      if (early) stopAll(1);
      else setTimeout(() => !stopping && fork(), RESTART_DELAY_MS);
    });
  };

  for (let i = 0; i < config.workers; i++) fork();
  logger.info({ workers: config.workers }, 'Stratus workers started');
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.info({ signal }, 'shutting down workers');
      stopAll(0);
    });
  }
  await done;
  logger.info('Stratus workers stopped');
  process.exit(exitCode);
}
