// The POP3 listener: each socket becomes a Pop3Connection (a session cut by shutdown applies no deletions: there was
// no QUIT). With `implicitTls` it is POP3S (RFC 8314): TLS from the first byte, every session secure.
import type { TlsOptions } from 'node:tls';
import type { Logger } from 'pino';
import { Pop3Connection } from '../pop3/connection.js';
import type { Pop3Deps } from '../pop3/context.js';
import { startTcpListener, type Listener } from './tcp-listener.js';
import { connectionControls, type ListenerAbuse } from './connection-limits.js';

export function startPop3Listener(
  host: string,
  port: number,
  deps: Pop3Deps,
  logger: Logger,
  implicitTls?: TlsOptions,
  abuse?: ListenerAbuse,
): Promise<Listener> {
  return startTcpListener({
    protocol: 'POP3',
    host,
    port,
    logger,
    implicitTls,
    // RFC 3206 §4 SYS/TEMP: a temporary condition; the client may try again later.
    ...(abuse ? { addressLimit: abuse.addresses, tooMany: '-ERR [SYS/TEMP] Too many connections from your address, try again later\r\n' } : {}),
    open: (socket) => {
      const connection = new Pop3Connection(socket, { ...deps, ...connectionControls(abuse, socket) });
      // Forgotten only once its lease is released, so closeConnections() also waits for that.
      return { session: connection, finished: () => connection.done() };
    },
  });
}
