// Signed session tokens. Every function request carries one (DESIGN.md "The functions"): it proves that the auth
// function authenticated this user of this tenant, so a frontend cannot act for a user it did not authenticate.
//
// Format: "v1.<payload>.<signature>", where payload = base64url(JSON claims) and
// signature = base64url(HMAC-SHA-256(key, "v1." + payload)). The signature is checked, in constant time, before the
// payload is parsed, so unauthenticated bytes never reach JSON.parse.
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface SessionClaims {
  tenantId: string;
  userId: string;
  login: string;
  /** Unique per login, so two sessions of one user are told apart (change-log `by`, echo suppression). */
  sessionId: string;
  /** Unix time in seconds; the token is invalid from this second on. */
  expiresAt: number;
}

export type InvalidTokenReason = 'malformed' | 'bad-signature' | 'expired';

export class InvalidTokenError extends Error {
  override readonly name = 'InvalidTokenError';
  constructor(
    readonly reason: InvalidTokenReason,
    message: string = `invalid session token: ${reason}`,
  ) {
    super(message);
  }
}

const VERSION = 'v1';
/** HMAC keys shorter than the hash output weaken it (RFC 2104 §3). */
export const MIN_TOKEN_KEY_BYTES = 32;
/** Tokens are small (four short claims); a bound keeps a hostile one from costing much. */
const MAX_TOKEN_LENGTH = 4096;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

export function issueToken(key: Uint8Array, claims: SessionClaims): string {
  checkKey(key);
  if (!isSessionClaims(claims)) throw new TypeError('session claims are incomplete or mistyped');
  const { tenantId, userId, login, sessionId, expiresAt } = claims; // only the known claims are signed
  const payload = Buffer.from(JSON.stringify({ tenantId, userId, login, sessionId, expiresAt }), 'utf8').toString('base64url');
  const signed = `${VERSION}.${payload}`;
  return `${signed}.${sign(key, signed).toString('base64url')}`;
}

/** Returns the claims of a valid token; throws InvalidTokenError otherwise. */
export function verifyToken(
  key: Uint8Array,
  token: string,
  nowSeconds: number = Math.floor(Date.now() / 1000),
): SessionClaims {
  checkKey(key);
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) throw new InvalidTokenError('malformed');
  const parts = token.split('.');
  if (parts.length !== 3) throw new InvalidTokenError('malformed');
  const [version, payload, signature] = parts as [string, string, string];
  if (version !== VERSION || !isCanonicalBase64url(payload) || !isCanonicalBase64url(signature)) {
    throw new InvalidTokenError('malformed');
  }
  const expected = sign(key, `${version}.${payload}`);
  const actual = Buffer.from(signature, 'base64url');
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    throw new InvalidTokenError('bad-signature');
  }
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidTokenError('malformed');
  }
  if (!isSessionClaims(claims)) throw new InvalidTokenError('malformed');
  if (nowSeconds >= claims.expiresAt) throw new InvalidTokenError('expired');
  const { tenantId, userId, login, sessionId, expiresAt } = claims;
  return { tenantId, userId, login, sessionId, expiresAt };
}

function sign(key: Uint8Array, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

function checkKey(key: Uint8Array): void {
  if (key.length < MIN_TOKEN_KEY_BYTES) {
    throw new RangeError(`token key must be at least ${MIN_TOKEN_KEY_BYTES} bytes, got ${key.length}`);
  }
}

// Buffer's base64url decoder skips characters it does not know; requiring the canonical form keeps one token from
// having several spellings.
function isCanonicalBase64url(text: string): boolean {
  return BASE64URL.test(text) && Buffer.from(text, 'base64url').toString('base64url') === text;
}

function isSessionClaims(value: unknown): value is SessionClaims {
  if (typeof value !== 'object' || value === null) return false;
  const claims = value as Record<string, unknown>;
  return (
    typeof claims.tenantId === 'string' &&
    claims.tenantId !== '' &&
    typeof claims.userId === 'string' &&
    claims.userId !== '' &&
    typeof claims.login === 'string' &&
    typeof claims.sessionId === 'string' &&
    claims.sessionId !== '' &&
    Number.isSafeInteger(claims.expiresAt)
  );
}
