// Verifies OAuth 2.0 access tokens that are JWTs (RFC 9068 profile; RFC 7519) for OAUTHBEARER (RFC 7628): the
// signature against the issuer's JWKS (fetched from a URL and cached by jose, or read from a file), `iss`, `exp`
// / `nbf`, and `aud` when an audience is configured. The identity is the `email` claim, or `sub` when there is none;
// whether that user may sign in is the directory's decision (src/mailstore/oauth-login.ts).
import { readFileSync } from 'node:fs';
import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';

export interface OAuthSettings {
  /** The `iss` every token must carry. */
  issuer: string;
  /** Where the issuer publishes its signing keys (JWKS), e.g. https://idp.example.com/.well-known/jwks.json. */
  jwksUrl?: string;
  /** A JWKS document on disk instead of a URL. */
  jwksFile?: string;
  /** The `aud` every token must carry, when set. */
  audience?: string;
}

export class OAuthTokenError extends Error {
  override readonly name = 'OAuthTokenError';
}

/** Leeway for clocks that disagree a little between the issuer and us. */
const CLOCK_TOLERANCE_SECONDS = 30;
/** Signature algorithms accepted: asymmetric only, so a JWKS can never be used as an HMAC secret. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

export class OAuthTokenVerifier {
  private readonly keys: JWTVerifyGetKey;

  constructor(private readonly settings: OAuthSettings) {
    if (settings.jwksFile !== undefined) {
      this.keys = createLocalJWKSet(JSON.parse(readFileSync(settings.jwksFile, 'utf8')) as JSONWebKeySet);
    } else if (settings.jwksUrl !== undefined) {
      this.keys = createRemoteJWKSet(new URL(settings.jwksUrl));
    } else {
      throw new OAuthTokenError('OAuth needs a JWKS URL or file');
    }
  }

  /** The login the token speaks for; throws OAuthTokenError for any token that does not verify. */
  async identity(token: string): Promise<string> {
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, {
        issuer: this.settings.issuer,
        ...(this.settings.audience !== undefined ? { audience: this.settings.audience } : {}),
        algorithms: ALGORITHMS,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['exp'],
      }));
    } catch (err) {
      // Anything else (the JWKS URL unreachable) is not the token's fault and propagates.
      if (err instanceof errors.JOSEError && !(err instanceof errors.JWKSTimeout)) throw new OAuthTokenError(`token rejected: ${err.code}`);
      throw err;
    }
    // An address the issuer says it has not verified is no proof of who the user is.
    if (typeof payload.email === 'string' && payload.email_verified !== false) return payload.email;
    if (typeof payload.sub === 'string' && payload.sub !== '') return payload.sub;
    throw new OAuthTokenError('token names no user (no email or sub claim)');
  }
}
