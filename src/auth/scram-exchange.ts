// Server side of one SASL SCRAM-SHA-256 exchange (RFC 5802 §5, RFC 7677), without channel binding.
//
//   C: client-first-message      → receiveClientFirst()  → the caller looks the user's ScramSecret up
//   S: server-first-message      ← serverFirst(secret)
//   C: client-final-message      → receiveClientFinal()  → verifies the proof
//   S: server-final-message      ← ScramSuccess.serverFinal ("v=..."), sent as SASL additional data with success
//
// Every failure throws ScramError (fail closed: a caller that forgets a check cannot let a client in). Its
// `serverFinal` ("e=...") may be sent, but RFC 5802 §5.1 allows ending with a plain failure instead, which is what
// IMAP's "NO [AUTHENTICATIONFAILED]" does. Strings passed in are the SASL messages after the protocol's base64
// layer; Uint8Array input is decoded as strict UTF-8.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { DEFAULT_SCRAM_ITERATIONS, hmac, SCRAM_KEY_BYTES, sha256, xor } from './scram-crypto.js';
import { ScramError } from './scram-error.js';
import { decodeScramMessage, parseClientFinal, parseClientFirst } from './scram-messages.js';
import type { ClientFirstMessage } from './scram-messages.js';
import type { ScramSecret } from './scram.js';

export { ScramError } from './scram-error.js';
export type { ScramServerErrorValue } from './scram-error.js';

export interface ScramExchangeOptions {
  /** The server's part of the nonce. Tests pin it (RFC 7677 §3); otherwise 18 random bytes, base64. */
  serverNonce?: string;
  /**
   * Key for the stable fake salt offered to unknown users, HMAC(key, username): without it a client could tell an
   * unknown user from a known one by asking twice and seeing the salt change. Without a key the fake salt is random.
   */
  unknownUserSaltKey?: Uint8Array;
}

/** What the client asked for in its first message; the caller looks up `username`. */
export interface ScramClientFirst {
  username: string;
  /** The authorization identity, when the client asked to act as someone else (RFC 5802 §5.1 "a"). */
  authzid: string | undefined;
  clientNonce: string;
}

export interface ScramSuccess {
  username: string;
  authzid: string | undefined;
  /** "v=<ServerSignature>": send it as additional data with success (RFC 5802 §5.2, 2b). */
  serverFinal: string;
}

type State =
  | { step: 'expect-client-first' }
  | { step: 'expect-secret'; first: ClientFirstMessage }
  | {
      step: 'expect-client-final';
      first: ClientFirstMessage;
      serverFirst: string;
      nonce: string;
      secret: ScramSecret | undefined;
    }
  | { step: 'finished' };

const PRINTABLE_NONCE = /^[\x21-\x2B\x2D-\x7E]+$/;

export class ScramServerExchange {
  static readonly mechanism = 'SCRAM-SHA-256';
  private state: State = { step: 'expect-client-first' };
  private readonly serverNonce: string;

  constructor(private readonly options: ScramExchangeOptions = {}) {
    this.serverNonce = options.serverNonce ?? randomBytes(18).toString('base64');
    if (!PRINTABLE_NONCE.test(this.serverNonce)) throw new RangeError('server nonce must be printable without ","');
  }

  /** Parses the client-first-message; the caller then looks the user up and calls serverFirst(). */
  receiveClientFirst(message: string | Uint8Array): ScramClientFirst {
    const state = this.state;
    this.state = { step: 'finished' }; // any throw below ends the exchange
    if (state.step !== 'expect-client-first') throw outOfOrder('client-first-message');
    const first = parseClientFirst(decodeScramMessage(message));
    this.state = { step: 'expect-secret', first };
    return { username: first.username, authzid: first.authzid, clientNonce: first.clientNonce };
  }

  /**
   * Builds the server-first-message. Pass `undefined` for an unknown user: the exchange goes on with a fake salt
   * and fails at the proof with "invalid-proof", so the reply does not reveal whether the user exists.
   */
  serverFirst(secret: ScramSecret | undefined): string {
    const state = this.state;
    this.state = { step: 'finished' };
    if (state.step !== 'expect-secret') throw outOfOrder('server-first-message');
    const known = secret !== undefined && secret.mechanism === 'SCRAM-SHA-256';
    const salt = known ? secret.salt : this.fakeSalt(state.first.username);
    const iterations = known ? secret.iterations : DEFAULT_SCRAM_ITERATIONS;
    const nonce = state.first.clientNonce + this.serverNonce;
    const serverFirst = `r=${nonce},s=${salt},i=${iterations}`;
    this.state = { step: 'expect-client-final', first: state.first, serverFirst, nonce, secret: known ? secret : undefined };
    return serverFirst;
  }

  /** Verifies the client-final-message; returns the server-final-message to send with success. */
  receiveClientFinal(message: string | Uint8Array): ScramSuccess {
    const state = this.state;
    this.state = { step: 'finished' };
    if (state.step !== 'expect-client-final') throw outOfOrder('client-final-message');
    const final = parseClientFinal(decodeScramMessage(message));

    // Without channel binding, "c=" carries exactly the base64 of the gs2-header (RFC 5802 §6).
    if (final.channelBinding !== Buffer.from(state.first.gs2Header, 'utf8').toString('base64')) {
      throw new ScramError('channel-bindings-dont-match');
    }
    // The server MUST verify that the nonce is the one it sent (RFC 5802 §5.1 "r").
    if (final.nonce !== state.nonce) throw new ScramError('other-error', 'nonce mismatch');
    if (state.secret === undefined) throw new ScramError('invalid-proof');
    if (final.proof.length !== SCRAM_KEY_BYTES) throw new ScramError('invalid-proof');

    // RFC 5802 §3: ClientKey = ClientProof XOR HMAC(StoredKey, AuthMessage); the proof is good iff
    // H(ClientKey) = StoredKey.
    const authMessage = `${state.first.bare},${state.serverFirst},${final.withoutProof}`;
    const storedKey = Buffer.from(state.secret.storedKey, 'base64');
    const clientKey = xor(final.proof, hmac(storedKey, authMessage));
    const candidate = sha256(clientKey);
    if (candidate.length !== storedKey.length || !timingSafeEqual(candidate, storedKey)) {
      throw new ScramError('invalid-proof');
    }
    const serverSignature = hmac(Buffer.from(state.secret.serverKey, 'base64'), authMessage);
    return {
      username: state.first.username,
      authzid: state.first.authzid,
      serverFinal: `v=${serverSignature.toString('base64')}`,
    };
  }

  private fakeSalt(username: string): string {
    const key = this.options.unknownUserSaltKey;
    const salt = key === undefined ? randomBytes(16) : hmac(key, `scram-fake-salt:${username}`).subarray(0, 16);
    return salt.toString('base64');
  }
}

function outOfOrder(what: string): ScramError {
  return new ScramError('other-error', `SCRAM exchange: ${what} out of order`);
}
