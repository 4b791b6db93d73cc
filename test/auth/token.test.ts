import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { InvalidTokenError, issueToken, verifyToken } from '../../src/auth/token.js';
import type { InvalidTokenReason, SessionClaims } from '../../src/auth/token.js';

const key = randomBytes(32);
const claims: SessionClaims = { tenantId: 't1', userId: 'u-42', login: 'alice@example.com', sessionId: 's-1', expiresAt: 2_000_000_000 };
const now = 1_900_000_000;

function rejectedFor(reason: InvalidTokenReason) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof InvalidTokenError, `expected InvalidTokenError, got ${String(error)}`);
    assert.equal(error.reason, reason);
    return true;
  };
}

/** Signs an arbitrary payload the way token.ts does, to reach the checks behind the signature. */
function forge(payload: string): string {
  const body = `v1.${Buffer.from(payload).toString('base64url')}`;
  return `${body}.${createHmac('sha256', key).update(body).digest('base64url')}`;
}

describe('session tokens', () => {
  it('round-trips the claims in the compact v1 format', () => {
    const token = issueToken(key, claims);
    assert.match(token, /^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(verifyToken(key, token, now), claims);
  });

  it('signs only the known claims', () => {
    const token = issueToken(key, { ...claims, admin: true } as SessionClaims);
    assert.deepEqual(verifyToken(key, token, now), claims);
  });

  it('is valid until the second before expiresAt and expired from expiresAt on', () => {
    const token = issueToken(key, claims);
    assert.deepEqual(verifyToken(key, token, claims.expiresAt - 1), claims);
    assert.throws(() => verifyToken(key, token, claims.expiresAt), rejectedFor('expired'));
    assert.throws(() => verifyToken(key, token, claims.expiresAt + 3600), rejectedFor('expired'));
  });

  it('uses the clock when no time is given', () => {
    const past = issueToken(key, { ...claims, expiresAt: Math.floor(Date.now() / 1000) - 10 });
    assert.throws(() => verifyToken(key, past), rejectedFor('expired'));
    const future = issueToken(key, { ...claims, expiresAt: Math.floor(Date.now() / 1000) + 3600 });
    assert.equal(verifyToken(key, future).userId, 'u-42');
  });

  it('rejects another key, a changed payload and a changed signature', () => {
    const token = issueToken(key, claims);
    assert.throws(() => verifyToken(randomBytes(32), token, now), rejectedFor('bad-signature'));

    const [version, payload, signature] = token.split('.');
    const otherPayload = Buffer.from(JSON.stringify({ ...claims, userId: 'u-1' })).toString('base64url');
    assert.throws(() => verifyToken(key, `${version}.${otherPayload}.${signature}`, now), rejectedFor('bad-signature'));

    const flipped = token.slice(0, -2) + (token.at(-2) === 'A' ? 'B' : 'A') + token.slice(-1);
    assert.throws(() => verifyToken(key, flipped, now), rejectedFor('bad-signature'));
    const shortSignature = Buffer.from(signature ?? '', 'base64url').subarray(0, 29).toString('base64url');
    assert.throws(() => verifyToken(key, `${version}.${payload}.${shortSignature}`, now), rejectedFor('bad-signature'));
  });

  it('rejects malformed tokens', () => {
    const token = issueToken(key, claims);
    const [, payload, signature] = token.split('.');
    const malformed = [
      '',
      'v1',
      'v1.abc',
      `v2.${payload}.${signature}`,
      `${token}.extra`,
      `v1.${payload}!.${signature}`,
      `v1.${payload}.${signature}=`,
      `v1..${signature}`,
      'x'.repeat(5000),
    ];
    for (const input of malformed) assert.throws(() => verifyToken(key, input, now), rejectedFor('malformed'), input);
  });

  it('rejects correctly signed payloads that are not valid claims', () => {
    const bad = [
      'not json',
      'null',
      '[]',
      JSON.stringify({ ...claims, expiresAt: '2000000000' }),
      JSON.stringify({ ...claims, expiresAt: 1.5 }),
      JSON.stringify({ ...claims, tenantId: '' }),
      JSON.stringify({ ...claims, sessionId: '' }),
      JSON.stringify({ userId: 'u', login: 'l', expiresAt: 2_000_000_000 }),
    ];
    for (const payload of bad) assert.throws(() => verifyToken(key, forge(payload), now), rejectedFor('malformed'), payload);
    assert.deepEqual(verifyToken(key, forge(JSON.stringify(claims)), now), claims);
  });

  it('refuses short keys and incomplete claims when issuing', () => {
    assert.throws(() => issueToken(randomBytes(16), claims), RangeError);
    assert.throws(() => verifyToken(randomBytes(16), issueToken(key, claims), now), RangeError);
    assert.throws(() => issueToken(key, { ...claims, userId: '' }), TypeError);
  });
});
