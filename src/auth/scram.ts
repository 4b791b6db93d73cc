// SCRAM-SHA-256 credentials (RFC 5802 §3, RFC 7677). The server stores only salt, iteration count, StoredKey and
// ServerKey: enough to verify a client proof and to prove itself to the client, never the password itself.
import { verifiedPasswords } from './verified-passwords.js';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { clientKeyOf, DEFAULT_SCRAM_ITERATIONS, saltedPassword, serverKeyOf, sha256 } from './scram-crypto.js';
import { saslprep, SaslprepError } from './saslprep.js';

export { DEFAULT_SCRAM_ITERATIONS } from './scram-crypto.js';
export { ScramServerExchange, ScramError } from './scram-exchange.js';
export type { ScramClientFirst, ScramSuccess, ScramServerErrorValue, ScramExchangeOptions } from './scram-exchange.js';

export interface ScramSecret {
  mechanism: 'SCRAM-SHA-256';
  /** base64 */
  salt: string;
  iterations: number;
  /** base64 of H(ClientKey) */
  storedKey: string;
  /** base64 of HMAC(SaltedPassword, "Server Key") */
  serverKey: string;
}

const SALT_BYTES = 16;

/**
 * Derives the stored SCRAM-SHA-256 secret of a password. `salt` is for tests (RFC 7677 test vector); production
 * callers leave it out and get 16 random bytes. Throws SaslprepError for a password with prohibited characters and
 * RangeError for an empty password or a bad iteration count.
 */
export function makeScramSecret(
  password: string,
  iterations: number = DEFAULT_SCRAM_ITERATIONS,
  salt: Uint8Array = randomBytes(SALT_BYTES),
): ScramSecret {
  if (!Number.isSafeInteger(iterations) || iterations < 1) {
    throw new RangeError(`SCRAM iteration count must be a positive integer, got ${iterations}`);
  }
  if (salt.length === 0) throw new RangeError('SCRAM salt must not be empty');
  const normalised = saslprep(password);
  if (normalised.length === 0) throw new RangeError('password must not be empty');
  const salted = saltedPassword(normalised, salt, iterations);
  return {
    mechanism: 'SCRAM-SHA-256',
    salt: Buffer.from(salt).toString('base64'),
    iterations,
    storedKey: sha256(clientKeyOf(salted)).toString('base64'),
    serverKey: serverKeyOf(salted).toString('base64'),
  };
}

/**
 * Checks a cleartext password (IMAP LOGIN, SASL PLAIN) against a stored secret by recomputing StoredKey, compared
 * in constant time. A password SASLprep rejects can never match, so it is simply false.
 */
export function verifyPassword(secret: ScramSecret, password: string): boolean {
  if (secret.mechanism !== 'SCRAM-SHA-256') return false;
  let normalised: string;
  try {
    normalised = saslprep(password);
  } catch (error) {
    if (error instanceof SaslprepError) return false;
    throw error;
  }
  const expected = Buffer.from(secret.storedKey, 'base64');
  const remembered = verifiedPasswords.storedKeyOf(secret.salt, secret.iterations, normalised);
  if (remembered !== undefined) {
    const actual = Buffer.from(remembered, 'base64');
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }
  const salted = saltedPassword(normalised, Buffer.from(secret.salt, 'base64'), secret.iterations);
  const actual = sha256(clientKeyOf(salted));
  const ok = expected.length === actual.length && timingSafeEqual(expected, actual);
  if (ok) verifiedPasswords.remember(secret.salt, secret.iterations, normalised, secret.storedKey);
  return ok;
}
