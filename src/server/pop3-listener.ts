// The POP3 listener: accepts sockets and hands each to a Pop3Connection; on shutdown it stops accepting and lets
// every connection finish its current command (a session cut this way applies no deletions: there was no QUIT).
// With `implicitTls` it is POP3S (RFC 8314): TLS from the first byte, every session secure.
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TlsOptions } from 'node:tls';
import type { Logger } from 'pino';
import { Pop3Connection } from '../pop3/connection.js';
import type { Pop3Deps } from '../pop3/context.js';
import type { Listener } from './imap-listener.js';

export async function startPop3Listener(
  host: string,
  port: number,
  deps: Pop3Deps,
  logger: Logger,
  implicitTls?: TlsOptions,
): Promise<Listener> {
  const connections = new Set<Pop3Connection>();
  const accept = (socket: Socket): void => {
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 60_000);
    const connection = new Pop3Connection(socket, deps);
    connections.add(connection);
    connection.start();
    // Forgotten only once its lease is released, so closeConnections() also waits for that.
    void connection.done().then(() => connections.delete(connection));
  };
  const server: Server = implicitTls
    ? createTlsServer({ ...implicitTls, minVersion: 'TLSv1.2' }, accept).on('tlsClientError', (err) =>
        logger.info({ err: err.message }, 'POP3S handshake failed'),
      )
    : createServer(accept);
  server.on('error', (err) => logger.error({ err }, 'POP3 listener error'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  logger.info({ host, port: bound }, implicitTls ? 'POP3S listening' : 'POP3 listening');
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
