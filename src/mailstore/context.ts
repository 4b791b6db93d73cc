// What every mail-store function runs with: the two ports and the key that signs session tokens.
import type { BlobStore } from '../storage/blob.js';
import type { BlobUrls } from '../storage/blob-urls.js';
import type { KvStore } from '../storage/kv.js';
import { verifyToken, InvalidTokenError } from '../auth/token.js';
import type { TenantId, UserId } from './ids.js';
import type { OAuthTokenVerifier } from '../auth/oauth-jwt.js';
import { MailStoreError } from './errors.js';

export interface StoreContext {
  kv: KvStore;
  blob: BlobStore;
  tokenKey: Uint8Array;
  /** Largest message accepted by APPEND and delivery, in bytes. */
  maxMessageBytes: number;
  /** sha256 (base64url) of the operator's admin token; admin.* requests bearing it may do everything. */
  adminTokenHash?: string;
  /**
   * Told after every successful mailbox commit (src/notify's hint bus, wired by src/server). Fire and forget: it
   * must not throw, and a hint that is lost only delays other frontends until their safety poll.
   */
  publishHint?: (hint: { mailboxId: string; modseq: number }) => void;
  /** With S3 in AWS: presigned URLs for message bytes, handed to the frontend after the ownership check. */
  blobUrls?: BlobUrls;
  /** OAUTHBEARER (auth.oauth): verifies bearer tokens against the configured issuer; unset: OAuth is off. */
  oauth?: OAuthTokenVerifier;
}

/** Who is asking: read from a verified session token, never from the request body. */
export interface Caller {
  tenantId: TenantId;
  userId: UserId;
  login: string;
  /** Identifies the session in change-log entries (`by`), so a session can skip its own echoes. */
  session: string;
}

export function callerOf(ctx: StoreContext, token: string): Caller {
  try {
    const claims = verifyToken(ctx.tokenKey, token);
    // A delivery agent's token (tenant `*`, src/mailstore/delivery-agent.ts) never acts as a user.
    if (claims.tenantId === '*') throw new MailStoreError('UNAUTHORIZED', 'Session token is not valid');
    return {
      tenantId: claims.tenantId as TenantId,
      userId: claims.userId as UserId,
      login: claims.login,
      session: claims.sessionId,
    };
  } catch (err) {
    if (err instanceof InvalidTokenError) throw new MailStoreError('UNAUTHORIZED', 'Session token is not valid');
    throw err;
  }
}
