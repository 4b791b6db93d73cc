// CAPA (RFC 2449 §5): derived from what this server implements and allows on the connection, never a fixed string.
// USER and SASL PLAIN appear only where a cleartext password may be sent; STLS (RFC 2595 §4) only where the
// connection may still be upgraded (not yet TLS, AUTHORIZATION state). Capabilities of the AUTHORIZATION state are announced in both states (RFC 2449 §5).
import { SASL_MECHANISMS } from './commands/auth.js';

export function capabilities(options: { plaintextAllowed: boolean; stls?: boolean }): string[] {
  const sasl = SASL_MECHANISMS.filter((m) => options.plaintextAllowed || !m.plaintext).map((m) => m.name);
  return [
    ...(options.plaintextAllowed ? ['USER'] : []),
    ...(sasl.length > 0 ? [`SASL ${sasl.join(' ')}`] : []),
    ...(options.stls ? ['STLS'] : []),
    'TOP',
    'UIDL',
    'RESP-CODES',
    'AUTH-RESP-CODE',
    'PIPELINING',
    'EXPIRE NEVER',
    'IMPLEMENTATION Stratus',
  ];
}
