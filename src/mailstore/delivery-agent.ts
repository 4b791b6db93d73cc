// Who may deliver: a delivery agent (the LMTP frontend) holds a token of its own, signed with the same key as
// session tokens but naming no user. Its tenant is `*`, which no real tenant id (a ULID) can be, so an agent token
// never acts as a user (callerOf refuses it) and a user's token never delivers (agentOf refuses it).
import { issueToken, verifyToken, InvalidTokenError } from '../auth/token.js';
import type { StoreContext } from './context.js';
import { MailStoreError } from './errors.js';
import { newId } from './ids.js';

export const AGENT_TENANT = '*';
const AGENT_USER = '*agent';
const AGENT_TOKEN_SECONDS = 3600;

/** A token for `agent` (e.g. "lmtp"); the frontend mints one per transaction from the key it already holds. */
export function issueAgentToken(tokenKey: Uint8Array, agent: string, nowSeconds = Math.floor(Date.now() / 1000)): string {
  return issueToken(tokenKey, {
    tenantId: AGENT_TENANT,
    userId: AGENT_USER,
    login: agent,
    sessionId: `${agent}-${newId()}`,
    expiresAt: nowSeconds + AGENT_TOKEN_SECONDS,
  });
}

/** The agent a request comes from; UNAUTHORIZED for a bad token, NOPERM for a user's token. */
export function agentOf(ctx: StoreContext, token: string): { agent: string; session: string } {
  try {
    const claims = verifyToken(ctx.tokenKey, token);
    if (claims.tenantId !== AGENT_TENANT || claims.userId !== AGENT_USER) {
      throw new MailStoreError('NOPERM', 'Only a delivery agent may deliver');
    }
    return { agent: claims.login, session: claims.sessionId };
  } catch (err) {
    if (err instanceof InvalidTokenError) throw new MailStoreError('UNAUTHORIZED', 'Session token is not valid');
    throw err;
  }
}
