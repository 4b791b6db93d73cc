// A TCP (or implicit-TLS) listener that hands each socket to a protocol session. On shutdown it stops accepting and
// lets every session finish its current command and say goodbye in its protocol's words.
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TlsOptions } from 'node:tls';
import type { Logger } from 'pino';
import { TLS_POLICY } from './tls.js';
import type { AddressLimiter } from './connection-limits.js';

export interface Listener {
  port: number;
  closeConnections(reason: string): Promise<void>;
  close(): Promise<void>;
}

export interface ListenerSession {
  start(): void;
  shutdown(reason: string): Promise<void>;
}

export interface TcpListenerOptions {
  /** Protocol name for logs, e.g. "IMAP"; "S" is appended for implicit TLS (IMAPS, POP3S; RFC 8314). */
  protocol: string;
  host: string;
  port: number;
  logger: Logger;
  implicitTls?: TlsOptions;
  /** Makes the session for a socket; `finished()`, asked once the session started, settles when it may be forgotten. */
  open(socket: Socket): { session: ListenerSession; finished(): Promise<unknown> };
  /** Open connections per client address; over it a socket gets `tooMany` (the protocol's words) and is closed. */
  addressLimit?: AddressLimiter;
  tooMany?: string;
}

export async function startTcpListener(options: TcpListenerOptions): Promise<Listener> {
  const { host, port, logger, implicitTls } = options;
  const name = implicitTls ? `${options.protocol}S` : options.protocol;
  const sessions = new Set<ListenerSession>();
  const accept = (socket: Socket): void => {
    if (options.addressLimit) {
      const release = options.addressLimit.acquire(socket.remoteAddress ?? 'unknown');
      if (!release) {
        logger.info({ address: socket.remoteAddress }, `${name} connection refused: too many from this address`);
        socket.on('error', () => undefined);
        socket.end(options.tooMany ?? '');
        return;
      }
      socket.once('close', release);
    }
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 60_000);
    const { session, finished } = options.open(socket);
    sessions.add(session);
    session.start();
    const forget = () => sessions.delete(session);
    finished().then(forget, forget);
  };
  const server: Server = implicitTls
    ? createTlsServer({ ...implicitTls, ...TLS_POLICY }, accept).on('tlsClientError', (err) =>
        logger.info({ err: err.message }, `${name} handshake failed`),
      )
    : createServer(accept);
  server.on('error', (err) => logger.error({ err }, `${name} listener error`));
  const bound = await listenOn(server, host, port);
  logger.info({ host, port: bound }, `${name} listening`);
  const shutdownAll = (reason: string) => Promise.all([...sessions].map((s) => s.shutdown(reason)));
  return {
    port: bound,
    async closeConnections(reason: string) {
      await shutdownAll(reason);
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await shutdownAll('Server shutting down');
      await closed;
    },
  };
}

/** Binds a server and returns the port it got (port 0 picks a free one); a bind error (EADDRINUSE) rejects. */
export async function listenOn(server: Server, host: string, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  return typeof address === 'object' && address ? address.port : port;
}
