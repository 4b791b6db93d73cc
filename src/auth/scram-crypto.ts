// The SCRAM-SHA-256 key derivations (RFC 5802 §2.2 and §3, with SHA-256 for H and HMAC per RFC 7677 §3).
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';

/** Output length of SHA-256 in bytes: the length of every SCRAM-SHA-256 key, signature and proof. */
export const SCRAM_KEY_BYTES = 32;

/** RFC 7677 §3: the iteration count a server announces SHOULD be at least 4096. */
export const DEFAULT_SCRAM_ITERATIONS = 4096;

export function hmac(key: Uint8Array, data: string | Uint8Array): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

export function sha256(data: Uint8Array): Buffer {
  return createHash('sha256').update(data).digest();
}

/** Hi(str, salt, i) of RFC 5802 §2.2 is PBKDF2 with HMAC as PRF and dkLen = output length of H. */
export function saltedPassword(normalisedPassword: string, salt: Uint8Array, iterations: number): Buffer {
  return pbkdf2Sync(Buffer.from(normalisedPassword, 'utf8'), salt, iterations, SCRAM_KEY_BYTES, 'sha256');
}

export function clientKeyOf(salted: Uint8Array): Buffer {
  return hmac(salted, 'Client Key');
}

export function serverKeyOf(salted: Uint8Array): Buffer {
  return hmac(salted, 'Server Key');
}

export function xor(a: Uint8Array, b: Uint8Array): Buffer {
  if (a.length !== b.length) throw new RangeError('xor: operands differ in length');
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (a[i] ?? 0) ^ (b[i] ?? 0);
  return out;
}
