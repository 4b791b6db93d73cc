// `stratus serve`: one process serving IMAP over the configured store. SIGTERM/SIGINT stop it cleanly: no new
// connections, BYE to every client once its current command is done, the store closed, stats logged.
import { pino, type Logger } from 'pino';
import type { Config } from '../config.js';
import { openStore, type Store } from './store.js';
import { startImapListener, type Listener } from './imap-listener.js';
import { CommandStats } from './command-stats.js';

export interface RunningServer {
  imapPort: number | undefined;
  /** The store this process serves, for tests and the CLI (its meter counts every store call). */
  store: Store;
  /** Ends every open connection (each finishes its command in progress first) but keeps listening. */
  closeConnections(reason: string): Promise<void>;
  stop(): Promise<void>;
}

export function makeLogger(config: Config): Logger {
  return pino({ level: config.logLevel, base: { service: 'stratus' } });
}

export async function startServer(config: Config, logger: Logger = makeLogger(config)): Promise<RunningServer> {
  const store = openStore(config);
  const stats = config.stats ? new CommandStats(store.meter) : undefined;
  const listeners: Listener[] = [];
  let imapPort: number | undefined;
  if (config.imapPort !== 'off') {
    const listener = await startImapListener(
      config.host,
      config.imapPort,
      {
        store: store.client,
        logger,
        allowPlaintextAuth: config.allowPlaintextAuth,
        secure: false,
        limits: {
          maxLineBytes: config.maxLineBytes,
          maxLiteralBytes: config.maxLiteralBytes,
          maxMessageBytes: config.maxMessageBytes,
        },
        authFailureDelayMs: config.authFailureDelayMs,
        observer: stats,
      },
      logger,
    );
    imapPort = listener.port;
    listeners.push(listener);
  }
  logger.info({ backend: config.backend, dataDir: config.backend === 'embedded' ? config.dataDir : undefined }, 'Stratus started');
  let stopping: Promise<void> | undefined;
  return {
    imapPort,
    store,
    async closeConnections(reason: string) {
      await Promise.all(listeners.map((l) => l.closeConnections(reason)));
    },
    stop() {
      stopping ??= (async () => {
        await Promise.all(listeners.map((l) => l.close()));
        await store.close();
        if (stats) logger.info({ stats: stats.toJSON() }, 'command stats');
        logger.info('Stratus stopped');
      })();
      return stopping;
    },
  };
}

/** Runs until SIGTERM or SIGINT. */
export async function serve(config: Config): Promise<void> {
  const logger = makeLogger(config);
  const server = await startServer(config, logger);
  const stop = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    server.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}
