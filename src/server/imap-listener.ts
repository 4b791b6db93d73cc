// The IMAP listener: each socket becomes an ImapConnection. With `implicitTls` it is IMAPS (RFC 8314): every
// connection is TLS from its first byte, and secure.
import type { TlsOptions } from 'node:tls';
import type { Logger } from 'pino';
import { ImapConnection, type ImapDeps } from '../imap/connection.js';
import { startTcpListener, type Listener } from './tcp-listener.js';
import { connectionControls, type ListenerAbuse } from './connection-limits.js';

export function startImapListener(
  host: string,
  port: number,
  deps: ImapDeps,
  logger: Logger,
  implicitTls?: TlsOptions,
  abuse?: ListenerAbuse,
): Promise<Listener> {
  return startTcpListener({
    protocol: 'IMAP',
    host,
    port,
    logger,
    implicitTls,
    ...(abuse ? { addressLimit: abuse.addresses, tooMany: '* BYE Too many connections from your address, try again later\r\n' } : {}),
    open: (socket) => ({
      session: new ImapConnection(socket, { ...deps, ...connectionControls(abuse, socket) }),
      finished: () => new Promise<void>((resolve) => (socket.destroyed ? resolve() : socket.once('close', () => resolve()))),
    }),
  });
}
