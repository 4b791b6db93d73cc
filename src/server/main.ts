// `stratus serve`: one process serving IMAP over the configured store. SIGTERM/SIGINT stop it cleanly: no new
// connections, BYE to every client once its current command is done, the store closed, stats logged.
import cluster from 'node:cluster';
import { pino, type Logger } from 'pino';
import type { Config } from '../config.js';
import { openStore, type Store } from './store.js';
import { SealQueue } from '../mailstore/search-seal.js';
import { runPrimary } from './workers.js';
import { startImapListener } from './imap-listener.js';
import type { Listener } from './tcp-listener.js';
import { CommandStats } from './command-stats.js';
import { startAdminListener } from './admin-listener.js';
import { startHealthEndpoint } from './health.js';
import { openHintBus, type HintBus } from '../notify/index.js';
import { MailboxCache } from '../mailstore/mailbox-cache.js';
import { NotifyHub } from '../imap/session/notify-hub.js';
import { KeepaliveTicker } from '../imap/session/keepalive.js';
import { startPop3Listener } from './pop3-listener.js';
import type { ImapDeps } from '../imap/connection.js';
import type { Pop3Deps } from '../pop3/context.js';
import { startLmtpListener } from '../lmtp/listener.js';
import { issueAgentToken } from '../mailstore/delivery-agent.js';
import { loadTlsMaterial, secureContext } from './tls.js';
import type { SecureContext } from 'node:tls';
import { LoginThrottle } from '../auth/login-throttle.js';
import { SignInGuards } from '../auth/sign-in-guard.js';
import { AddressLimiter, type ListenerAbuse } from './connection-limits.js';
import { FRESH_DOC_CHARS, FreshDocCache } from '../mailstore/search-fresh-docs.js';

export interface RunningServer {
  imapPort: number | undefined;
  /** IMAPS (implicit TLS) port, when enabled. */
  imapsPort: number | undefined;
  pop3Port: number | undefined;
  /** POP3S (implicit TLS) port, when enabled. */
  pop3sPort: number | undefined;
  lmtpPort: number | undefined;
  /** The admin REST API's port (src/admin), when enabled. */
  adminPort: number | undefined;
  /** GET /health for the load balancer (STRATUS_HEALTH_PORT), undefined when off. */
  healthPort: number | undefined;
  /** The store this process serves, for tests and the CLI (its meter counts every store call). */
  store: Store;
  /** The process's hint bus (benchmarks hand it another frontend's hints, as Redis would). */
  hints: HintBus;
  /** Resolves once no search-segment seal is queued or running (src/mailstore/search-seal.ts); for benchmarks. */
  sealsIdle(): Promise<void>;
  /** Runs the safety poll now (what the STRATUS_MAILBOX_POLL_MS timer does); for benchmarks that price it. */
  safetyPoll(): Promise<void>;
  /** Ends every open connection (each finishes its command in progress first) but keeps listening. */
  closeConnections(reason: string): Promise<void>;
  stop(): Promise<void>;
}

export function makeLogger(config: Config): Logger {
  return pino({ level: config.logLevel, base: { service: 'stratus' } });
}

function imapPorts(config: Config): [number, boolean][] {
  const ports: [number, boolean][] = [];
  if (config.imapPort !== 'off') ports.push([config.imapPort, false]);
  if (config.imapTlsOffloadPort !== 'off') ports.push([config.imapTlsOffloadPort, true]);
  return ports;
}

export async function startServer(config: Config, logger: Logger = makeLogger(config)): Promise<RunningServer> {
  const store = openStore(config, {
    onFunctionError: (err, op) => logger.warn({ err: err instanceof Error ? err.message : String(err), op }, 'function call failed'),
    functionThreads: functionThreadCount(config, logger),
    log: (level, fields, msg) => logger[level](fields, msg),
  });
  await store.threads?.ready(); // listen only once the function threads can answer (thread-invoker.ts ready)
  const stats = config.stats ? new CommandStats(store.meter) : undefined;
  // Change hints (src/notify): Redis between processes when configured, else in-process. Every commit publishes;
  // the mailbox cache reads the log once per hinted mailbox and wakes the sessions that have it selected.
  let mailboxes: MailboxCache | undefined = undefined;
  // NOTIFY (RFC 5465) for mailboxes that are not selected: one hint subscription and one read per burst per process.
  let notifyHub: NotifyHub | undefined = undefined;
  // A worker of `stratus serve` with STRATUS_WORKERS > 1 (workers.ts) hears the other workers' hints over IPC.
  const hints = await openHintBus(config.redisUrl, {
    ipc: cluster.isWorker ? process : undefined,
    onError: (err) => logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'hint bus error'),
    onReconnect: () => {
      void mailboxes?.refreshAll();
      notifyHub?.refreshAll();
    },
  });
  store.ctx.publishHint = (hint) => hints.publish(hint);
  // Search segments (src/mailstore/search-seal.ts): sealed in the background of the process whose commit made them due.
  const seals = new SealQueue(store.ctx, (err, mailboxId) =>
    logger.warn({ err: err instanceof Error ? err.message : String(err), mailboxId }, 'search seal failed'),
  );
  store.ctx.uidsAllocated = (mailboxId, from, to) => seals.allocated(mailboxId, from, to);
  store.ctx.sealDue = (mailboxId) => seals.request(mailboxId);
  store.ctx.freshDocs = new FreshDocCache(FRESH_DOC_CHARS);
  mailboxes = new MailboxCache(store.client, hints, {
    pollMs: config.mailboxPollMs,
    onError: (err, mailboxId) => logger.warn({ err: err instanceof Error ? err.message : String(err), mailboxId }, 'mailbox refresh failed'),
  });
  notifyHub = new NotifyHub(
    store.client,
    hints,
    (err, id) => logger.warn({ err: err instanceof Error ? err.message : String(err), id }, 'notify read failed'),
    config.mailboxPollMs,
  );
  const keepalive = new KeepaliveTicker(config.idleKeepaliveMs);
  const listeners: Listener[] = [];
  let imapPort: number | undefined;
  const offerStartTls = config.startTls ?? (!config.allowPlaintextAuth || config.tlsCert !== undefined);
  // TLS (src/server/tls.ts): IMAPS and POP3S need it; STARTTLS / STLS on the plain ports follow `offerStartTls`.
  let tls: SecureContext | undefined;
  let tlsKeys: { cert: Buffer; key: Buffer } | undefined;
  // A self-signed certificate belongs to the embedded backend's data directory; in AWS the NLB terminates TLS (993)
  // unless a certificate is configured.
  const tlsWanted = config.tlsCert !== undefined || config.backend === 'embedded';
  const tlsPorts = [config.imapsPort, config.imapPort, config.pop3sPort, config.pop3Port];
  if (tlsWanted && tlsPorts.some((p) => p !== 'off')) {
    try {
      const material = await loadTlsMaterial({ dataDir: config.dataDir, certPath: config.tlsCert, keyPath: config.tlsKey, hostname: config.host });
      tls = secureContext(material);
      tlsKeys = { cert: material.cert, key: material.key };
      logger.info({ certificate: material.certPath, source: material.source }, 'TLS ready');
    } catch (err) {
      // A configured certificate that cannot be read is an operator error; a self-signed one that cannot be made
      // (no openssl) must not stop a laptop's `npm start`: serve plain IMAP/POP3 on loopback and say so.
      if (config.tlsCert !== undefined) throw err;
      logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'no TLS certificate: IMAPS, POP3S, STARTTLS and STLS are off');
    }
  }
  // Failed logins per account across every IMAP connection of this process (src/auth/login-throttle.ts).
  const loginThrottle = new LoginThrottle({
    windowMs: config.authAccountWindowMs,
    maxFailures: config.authAccountMaxFailures,
    penaltyBaseMs: config.authFailureDelayMs,
  });
  // What every IMAP / POP3 session of this process shares; `startTls` offers STARTTLS / STLS with the certificate.
  const imapDeps = (secure: boolean, startTls: boolean): ImapDeps => ({
    store: store.client,
    logger,
    allowPlaintextAuth: config.allowPlaintextAuth,
    secure,
    limits: { maxLineBytes: config.maxLineBytes, maxLiteralBytes: config.maxLiteralBytes, maxMessageBytes: config.maxMessageBytes },
    authFailureDelayMs: config.authFailureDelayMs,
    observer: stats,
    mailboxes,
    keepalive,
    notifyHub,
    ...(tls && startTls ? { tls } : {}),
    oauth: config.oauth !== undefined,
    loginThrottle,
    maxAuthFailures: config.maxAuthFailures,
    loginTimeoutMs: config.imapLoginTimeoutMs,
    idleTimeoutMs: config.imapIdleTimeoutMs,
  });
  const pop3Deps = (secure: boolean, startTls: boolean): Pop3Deps => ({
    store: store.client,
    logger,
    allowPlaintextAuth: config.allowPlaintextAuth,
    secure,
    limits: { maxLineBytes: config.maxLineBytes },
    authFailureDelayMs: config.authFailureDelayMs,
    ...(tls && startTls ? { tls } : {}),
  });
  // Abuse controls shared by every IMAP and POP3 listener of this process (issue 9 item 6).
  const abuse: ListenerAbuse = {
    addresses: new AddressLimiter(config.abuse.maxConnectionsPerIp),
    guards: new SignInGuards({
      maxFailuresPerAddress: config.abuse.maxLoginFailuresPerIp,
      windowMs: config.authAccountWindowMs,
      penaltyBaseMs: config.authFailureDelayMs,
      maxSessionsPerUser: config.abuse.maxSessionsPerUser,
    }),
    commandRate: config.abuse.commandRate,
    commandBurst: config.abuse.commandBurst,
  };
  // The plain IMAP port, and (behind a load balancer that terminates TLS) the port whose sessions count as secure.
  for (const [port, secure] of imapPorts(config)) {
    const listener = await startImapListener(config.host, port, imapDeps(secure, !secure && offerStartTls), logger, undefined, abuse);
    if (!secure) imapPort = listener.port;
    listeners.push(listener);
  }
  let imapsPort: number | undefined;
  if (config.imapsPort !== 'off' && tlsKeys) {
    const listener = await startImapListener(config.host, config.imapsPort, imapDeps(true, false), logger, tlsKeys, abuse);
    imapsPort = listener.port;
    listeners.push(listener);
  }
  let lmtpPort: number | undefined;
  if (config.lmtpPort !== 'off') {
    const listener = await startLmtpListener(config.host, config.lmtpPort, {
      store: store.client,
      agentToken: () => issueAgentToken(store.ctx.tokenKey, 'lmtp'),
      maxMessageBytes: config.maxMessageBytes,
      logger,
    });
    lmtpPort = listener.port;
    listeners.push(listener);
  }
  let pop3Port: number | undefined;
  if (config.pop3Port !== 'off') {
    const listener = await startPop3Listener(config.host, config.pop3Port, pop3Deps(false, offerStartTls), logger, undefined, abuse);
    pop3Port = listener.port;
    listeners.push(listener);
  }
  let pop3sPort: number | undefined;
  if (config.pop3sPort !== 'off' && tlsKeys) {
    const listener = await startPop3Listener(config.host, config.pop3sPort, pop3Deps(true, false), logger, tlsKeys, abuse);
    pop3sPort = listener.port;
    listeners.push(listener);
  }
  const health = config.healthPort === 'off' ? undefined : await startHealthEndpoint(config.host, config.healthPort, logger);
  let adminPort: number | undefined;
  if (config.adminPort !== 'off') {
    const listener = await startAdminListener(config.host, config.adminPort, store.client, logger);
    adminPort = listener.port;
    listeners.push(listener);
  }
  logger.info({ backend: config.backend, dataDir: config.backend === 'embedded' ? config.dataDir : undefined }, 'Stratus started');
  let stopping: Promise<void> | undefined;
  return {
    imapPort,
    imapsPort,
    pop3Port,
    pop3sPort,
    lmtpPort,
    adminPort,
    healthPort: health?.port,
    store,
    hints,
    async sealsIdle() {
      await seals.idle();
      await store.threads?.sealsIdle(); // the seals the function threads' commits made due run in those threads
    },
    async safetyPoll() {
      notifyHub.refreshAll();
      await mailboxes.refreshAll();
    },
    async closeConnections(reason: string) {
      await Promise.all(listeners.map((l) => l.closeConnections(reason)));
    },
    stop() {
      stopping ??= (async () => {
        health?.draining(); // the NLB stops sending new connections while sessions finish
        await Promise.all(listeners.map((l) => l.close()));
        mailboxes.close();
        notifyHub.close();
        keepalive.close();
        await hints.close();
        await seals.close();
        await store.close();
        await health?.close();
        if (stats) logger.info({ stats: stats.toJSON() }, 'command stats');
        if (store.faults) logger.info({ injected: store.faults.injected }, 'injected store faults');
        logger.info('Stratus stopped');
      })();
      return stopping;
    },
  };
}

/** Worker threads for the functions (STRATUS_FUNCTION_THREADS, thread-invoker.ts), or 0 where they cannot be used. */
function functionThreadCount(config: Config, logger: Logger): number {
  if (config.functionThreads === 0) return 0;
  if (config.functions !== 'inline') {
    logger.warn({ functionThreads: config.functionThreads }, 'STRATUS_FUNCTION_THREADS is ignored: the functions are Lambdas');
    return 0;
  }
  if (config.stats) {
    // CommandStats attributes store calls to commands with an AsyncLocalStorage of this thread; calls made in a
    // function thread would count for no command.
    logger.warn({ functionThreads: config.functionThreads }, 'STRATUS_FUNCTION_THREADS is ignored with STRATUS_STATS: the functions run inline');
    return 0;
  }
  return config.functionThreads;
}

/** Runs until SIGTERM or SIGINT. */
export async function serve(config: Config): Promise<void> {
  const logger = makeLogger(config);
  if (config.workers > 1 && cluster.isPrimary) return runPrimary(config, logger);
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
