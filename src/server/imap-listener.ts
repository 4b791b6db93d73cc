// The IMAP listener: accepts sockets and hands each to an ImapConnection; on shutdown it stops accepting and lets
// every connection finish its current command and say BYE.
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TlsOptions } from 'node:tls';
import type { Logger } from 'pino';
import { ImapConnection, type ImapDeps } from '../imap/connection.js';

export interface Listener {
  port: number;
  closeConnections(reason: string): Promise<void>;
  close(): Promise<void>;
}

/** With `implicitTls` the listener is IMAPS (RFC 8314): every connection is TLS from its first byte, and secure. */
export async function startImapListener(
  host: string,
  port: number,
  deps: ImapDeps,
  logger: Logger,
  implicitTls?: TlsOptions,
): Promise<Listener> {
  const connections = new Set<ImapConnection>();
  const accept = (socket: Socket): void => {
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 60_000);
    const connection = new ImapConnection(socket, deps);
    connections.add(connection);
    socket.once('close', () => connections.delete(connection));
    connection.start();
  };
  const server: Server = implicitTls
    ? createTlsServer({ ...implicitTls, minVersion: 'TLSv1.2' }, accept).on('tlsClientError', (err) =>
        logger.info({ err: err.message }, 'IMAPS handshake failed'),
      )
    : createServer(accept);
  server.on('error', (err) => logger.error({ err }, 'IMAP listener error'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  logger.info({ host, port: bound }, implicitTls ? 'IMAPS listening' : 'IMAP listening');
  return {
    port: bound,
    async closeConnections(reason: string) {
      await Promise.all([...connections].map((c) => c.shutdown(reason)));
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([...connections].map((c) => c.shutdown('Server shutting down')));
      await closed;
    },
  };
}
