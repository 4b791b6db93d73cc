// SCRAM-SHA-256 across two stateless calls (two Lambda invocations, or two requests to any function instance).
//
//   start(clientFirst)           → serverFirst + an opaque `state`, signed with a key only the functions hold
//   finish(state, clientFinal)   → the ScramServerExchange is replayed from the state and the proof verified
//
// The state carries the client-first-message, the server nonce and an expiry; never the stored secret (StoredKey and
// a transcript would let anyone who sees the exchange recover ClientKey). `finish` reads the secret again, so a
// password changed between the two calls makes the replayed server-first differ and the exchange fail. Unknown users
// get a salt derived from the key, stable across the two calls, and fail at the proof like a wrong password.
// A state can be presented again until it expires; that replays a transcript, which only someone who already saw it
// could do (and on such a channel PLAIN would have shown the password itself).
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ScramError, ScramServerExchange, type ScramSuccess } from './scram-exchange.js';
import type { ScramSecret } from './scram.js';

export interface ScramStart {
  /** The SASLprep'd username of the client-first-message: the caller's login. */
  username: string;
  authzid: string | undefined;
  serverFirst: string;
  /** Opaque to the frontend; hand it back with the client-final-message. */
  state: string;
}

export type SecretLookup = (username: string) => Promise<ScramSecret | undefined>;

/** How long a client has between the server-first-message and its final message. */
export const SCRAM_STATE_SECONDS = 60;
const VERSION = 's1';
const MAX_STATE_LENGTH = 8192;

interface StateClaims {
  clientFirst: string;
  serverNonce: string;
  expiresAt: number;
}

function subKey(key: Uint8Array, purpose: string): Buffer {
  return createHmac('sha256', key).update(`stratus-scram-${purpose}`).digest();
}

function exchange(key: Uint8Array, serverNonce?: string): ScramServerExchange {
  return new ScramServerExchange({ serverNonce, unknownUserSaltKey: subKey(key, 'fake-salt') });
}

export async function startStatelessScram(
  key: Uint8Array,
  clientFirst: string,
  lookup: SecretLookup,
  nowSeconds: number = Math.floor(Date.now() / 1000),
): Promise<ScramStart> {
  const serverNonce = randomBytes(18).toString('base64');
  const scram = exchange(key, serverNonce);
  const first = scram.receiveClientFirst(clientFirst);
  const serverFirst = scram.serverFirst(await lookup(first.username));
  const claims: StateClaims = { clientFirst, serverNonce, expiresAt: nowSeconds + SCRAM_STATE_SECONDS };
  const payload = Buffer.from(JSON.stringify(claims), 'utf8').toString('base64url');
  const signature = createHmac('sha256', subKey(key, 'state')).update(`${VERSION}.${payload}`).digest('base64url');
  return { username: first.username, authzid: first.authzid, serverFirst, state: `${VERSION}.${payload}.${signature}` };
}

/** Verifies the client's proof; throws ScramError (fail closed) for a bad, forged or expired state or proof. */
export async function finishStatelessScram(
  key: Uint8Array,
  state: string,
  clientFinal: string,
  lookup: SecretLookup,
  nowSeconds: number = Math.floor(Date.now() / 1000),
): Promise<ScramSuccess> {
  const claims = verifyState(key, state, nowSeconds);
  const scram = exchange(key, claims.serverNonce);
  const first = scram.receiveClientFirst(claims.clientFirst);
  scram.serverFirst(await lookup(first.username));
  return scram.receiveClientFinal(clientFinal);
}

function verifyState(key: Uint8Array, state: string, nowSeconds: number): StateClaims {
  const parts = state.length <= MAX_STATE_LENGTH ? state.split('.') : [];
  if (parts.length !== 3 || parts[0] !== VERSION) throw new ScramError('other-error', 'malformed exchange state');
  const expected = createHmac('sha256', subKey(key, 'state')).update(`${VERSION}.${parts[1]}`).digest();
  const actual = Buffer.from(parts[2]!, 'base64url');
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    throw new ScramError('other-error', 'exchange state has a bad signature');
  }
  const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as StateClaims;
  if (typeof claims.clientFirst !== 'string' || typeof claims.serverNonce !== 'string' || !Number.isSafeInteger(claims.expiresAt)) {
    throw new ScramError('other-error', 'malformed exchange state');
  }
  if (nowSeconds >= claims.expiresAt) throw new ScramError('other-error', 'exchange state expired');
  return claims;
}
