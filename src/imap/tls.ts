// The server side of a STARTTLS handshake (RFC 9051 §6.2.1): the plain socket is handed to a TLSSocket that takes
// over its reads and writes. Resolves to the secure socket, or null when the handshake fails or stalls.
import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';

/** A client that starts no handshake within this time is cut off. */
const HANDSHAKE_TIMEOUT_MS = 30_000;

export function upgradeToTls(socket: Socket, secureContext: SecureContext): Promise<TLSSocket | null> {
  return new Promise((resolve) => {
    const secure = new TLSSocket(socket, { isServer: true, secureContext });
    const timer = setTimeout(() => finish(null), HANDSHAKE_TIMEOUT_MS);
    timer.unref();
    const onError = (): void => finish(null);
    const onClose = (): void => finish(null);
    function finish(result: TLSSocket | null): void {
      clearTimeout(timer);
      secure.off('secure', onSecure);
      secure.off('close', onClose);
      if (result === null) {
        // keep a late error from becoming an uncaught exception
        secure.on('error', () => undefined);
        secure.destroy();
      } else secure.off('error', onError);
      resolve(result);
    }
    function onSecure(): void {
      finish(secure);
    }
    secure.once('secure', onSecure);
    secure.once('error', onError);
    secure.once('close', onClose);
  });
}
