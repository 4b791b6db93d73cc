// What every mail-store function runs with: the two ports and the key that signs session tokens.
import type { FreshDocCache } from './search-fresh-docs.js';
import type { BlobStore } from '../storage/blob.js';
import type { BlobUrls } from '../storage/blob-urls.js';
import type { KvStore } from '../storage/kv.js';
import { verifyToken, InvalidTokenError, type SessionClaims } from '../auth/token.js';
import type { TenantId, UserId } from './ids.js';
import type { OwnChange } from './api.js';
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
   * must not throw, and a hint that is lost only delays other frontends until their safety poll. `change`: the
   * commit's log entry and status after it (commit.ts hintOf), for the frontends whose copy it follows exactly.
   */
  publishHint?: (hint: { mailboxId: string; modseq: number; change?: OwnChange }) => void;
  /**
   * Told after every successful mailbox commit that allocated UIDs [from, to) (APPEND, COPY, MOVE, delivery): the
   * search-segment seal queue (src/mailstore/search-seal.ts) decides from this alone whether the mailbox is due.
   * Fire and forget, like publishHint: it must not throw and must not wait.
   */
  uidsAllocated?: (mailboxId: string, from: number, to: number) => void;
  /** Told by a text SEARCH that found many unsealed messages (search-segments.ts): seal this mailbox soon. */
  sealDue?: (mailboxId: string) => void;
  /**
   * Set where seals run in the process that stores the messages (the embedded server's seal queue): new messages'
   * searchable text is kept for the seal instead of being read back from the cold items (search-fresh-docs.ts).
   * Unset in Lambda, whose seals run in another function: the text would only fill memory there.
   */
  freshDocs?: FreshDocCache;
  /** With S3 in AWS: presigned URLs for message bytes, handed to the frontend after the ownership check. */
  blobUrls?: BlobUrls;
  /** OAUTHBEARER (auth.oauth): verifies bearer tokens against the configured issuer; unset: OAuth is off. */
  oauth?: OAuthTokenVerifier;
  /** When index snapshots are written (snapshots.ts; defaults there). Tests lower the thresholds. */
  snapshots?: { everyEntries: number; minMessages: number };
  /** Told when a background snapshot write fails (it never fails a request). */
  onSnapshotError?: (err: unknown) => void;
}

/** Who is asking: read from a verified session token, never from the request body. */
export interface Caller {
  tenantId: TenantId;
  userId: UserId;
  login: string;
  /** Identifies the session in change-log entries (`by`), so a session can skip its own echoes. */
  session: string;
}

/**
 * Tokens this process verified, per signing key: a session sends the same token with every request, and checking
 * its HMAC and parsing its claims each time is a measurable share of a small request. Expiry is checked on every use.
 */
const verified = new WeakMap<Uint8Array, Map<string, SessionClaims>>();
const MAX_VERIFIED = 10_000;

function verifiedClaims(key: Uint8Array, token: string): SessionClaims {
  let known = verified.get(key);
  if (!known) verified.set(key, (known = new Map()));
  const cached = known.get(token);
  if (cached && Math.floor(Date.now() / 1000) < cached.expiresAt) return cached;
  const claims = verifyToken(key, token); // throws for a bad or expired token, which is then never kept
  if (known.size >= MAX_VERIFIED) known.clear();
  known.set(token, claims);
  return claims;
}

export function callerOf(ctx: StoreContext, token: string): Caller {
  try {
    const claims = verifiedClaims(ctx.tokenKey, token);
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
