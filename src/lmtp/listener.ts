// The LMTP listener (RFC 2033) on smtp-server in LMTP mode: LHLO, MAIL FROM (SIZE, BODY=8BITMIME), RCPT TO checked
// against the directory at once (550 5.1.1), DATA answered once per accepted recipient, RSET, NOOP, QUIT, and the
// size limit (552 5.3.4, per recipient). The library parses the protocol, keeps the transaction state and answers
// bad input (500 5.5.2 unknown command, 503 5.5.1 bad sequence) and the session continues; everything it hands us
// goes to the store through the MailStore API (deliver.*) with a delivery agent's token. No AUTH and no STARTTLS
// (not advertised) until TLS is configured: the listener binds to loopback unless STRATUS_HOST says otherwise.
import { hostname as osHostname } from 'node:os';
import type { Logger } from 'pino';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import type { MailStoreClient } from '../mailstore/client.js';
import { MailStoreError } from '../mailstore/errors.js';
import { LOOKUP_FAILED, STORE_FAILED, UNKNOWN_USER, replyFor, type Reply } from './replies.js';

export interface LmtpDeps {
  store: MailStoreClient;
  /** A fresh delivery-agent token (minted by the process wiring from the key it holds). */
  agentToken: () => string;
  maxMessageBytes: number;
  logger: Logger;
  /** Our name in the greeting, the LHLO reply and the Received header; the machine's name by default. */
  hostname?: string;
  /** How long a shutdown waits for transactions in progress before closing their connections anyway. */
  drainMs?: number;
}

export interface LmtpListener {
  port: number;
  /** Ends every connection (those in a transaction once it is answered), keeps listening. */
  closeConnections(reason: string): Promise<void>;
  close(): Promise<void>;
}

/** Recipients per transaction (the deliver.message request allows as many). */
const MAX_RECIPIENTS = 1000;

/**
 * smtp-server sends an Error entry of onData's array as `<responseCode> <enhanced code of that reply code> <message>`
 * and an Error passed to a callback the same way; the enhanced code comes from its RFC 3463 table (250 → 2.0.0,
 * 451 → 4.3.0, 452 → 4.2.2, 550 → 5.1.1), which is what `Reply.enhanced` records. Using it for 250 too gives the
 * plain 2.0.0 of a final delivery rather than the 2.6.0 its string replies carry.
 */
function wire(reply: Reply): Error & { responseCode: number } {
  return Object.assign(new Error(reply.text), { responseCode: reply.code });
}

export async function startLmtpListener(host: string, port: number, deps: LmtpDeps): Promise<LmtpListener> {
  const name = deps.hostname ?? osHostname();
  const log = deps.logger;
  let inFlight = 0;
  let idle: (() => void) | undefined;
  const settled = () => {
    if (inFlight === 0 && idle) {
      const done = idle;
      idle = undefined;
      done();
    }
  };

  const server = new SMTPServer({
    lmtp: true,
    name,
    banner: 'Stratus LMTP ready',
    size: deps.maxMessageBytes,
    rejectOversized: true,
    maxRecipients: MAX_RECIPIENTS,
    disabledCommands: ['AUTH', 'STARTTLS'],
    authOptional: true,
    hideSTARTTLS: true,
    hideDSN: true,
    hideENHANCEDSTATUSCODES: false, // RFC 2033 §5: an LMTP server must offer ENHANCEDSTATUSCODES
    disableReverseLookup: true,
    logger: false,

    onRcptTo(address, _session, callback) {
      deps.store.call('deliver.resolve', { token: deps.agentToken(), addresses: [address.address] }).then(
        ({ known }) => callback(known[0] ? null : wire(UNKNOWN_USER)),
        (err: unknown) => {
          log.warn({ err, rcpt: address.address }, 'LMTP recipient lookup failed');
          callback(wire(LOOKUP_FAILED));
        },
      );
    },

    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback) {
      inFlight++;
      const parts: Buffer[] = [];
      let total = 0;
      stream.on('data', (chunk: Buffer) => {
        total += chunk.length;
        if (total <= deps.maxMessageBytes) parts.push(chunk); // beyond the limit: drained, answered 552 by the library
      });
      stream.once('end', () => {
        const finish: typeof callback = (err, message) => {
          inFlight--;
          callback(err, message);
          settled();
        };
        if (stream.sizeExceeded) {
          finish(null, 'oversized'); // rejectOversized replaces this with 552 5.3.4 per recipient
          return;
        }
        const body = Buffer.concat(parts, total);
        const recipients = session.envelope.rcptTo.map((r) => r.address);
        const sender = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address;
        deps.store
          .deliver(deps.agentToken(), body, {
            sender,
            recipients,
            trace: { protocol: 'LMTP', from: session.hostNameAppearsAs || 'unknown', remoteAddress: session.remoteAddress, by: name, id: session.id },
            receivedAt: Date.now(),
          })
          .then(
            ({ outcomes }) => finish(null, outcomes.map((o) => wire(replyFor(o)))),
            (err: unknown) => {
              log[err instanceof MailStoreError ? 'warn' : 'error']({ err, session: session.id }, 'LMTP delivery failed');
              finish(null, recipients.map(() => wire(STORE_FAILED)));
            },
          );
      });
    },
  });
  server.on('error', (err) => log.error({ err }, 'LMTP listener error'));

  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(port, host, () => {
      server.server.off('error', reject);
      resolve();
    });
  });
  const address = server.server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  log.info({ host, port: bound }, 'LMTP listening');

  /** Waits for the transactions in progress to be answered (bounded), then says 421 to every connection. */
  const endAll = async (reason: string): Promise<void> => {
    if (inFlight > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deps.drainMs ?? 30_000);
        idle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    for (const connection of [...server.connections]) {
      connection.send(421, `${name} ${reason}`);
      connection.close();
    }
  };

  return {
    port: bound,
    closeConnections: endAll,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await endAll('Server shutting down');
      await closed;
    },
  };
}
