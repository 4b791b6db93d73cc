// The OAUTHBEARER client response (RFC 7628 §3.1):
//
//   client-resp = (gs2-header kvsep *kvpair kvsep) / kvsep      kvsep = %x01      kvpair = key "=" value kvsep
//
// e.g. "n,a=user@example.com,\x01host=imap.example.com\x01port=993\x01auth=Bearer <token>\x01\x01". Only the
// bearer token and the authzid matter here; unknown keys are ignored as the RFC requires (host and port are not
// checked: one server answers for many domains).

export interface OAuthBearerResponse {
  /** `a=` of the GS2 header, when the client named the user it acts as. */
  authzid: string | undefined;
  /** The token of `auth=Bearer <token>`. */
  token: string;
}

export class OAuthBearerError extends Error {
  override readonly name = 'OAuthBearerError';
}

const KVSEP = '\x01';

/** Parses the client's first OAUTHBEARER message (the base64 layer already removed). */
export function parseOAuthBearer(message: string): OAuthBearerResponse {
  const sep = message.indexOf(KVSEP);
  if (sep < 0 || !message.endsWith(KVSEP + KVSEP)) throw new OAuthBearerError('OAUTHBEARER message is not terminated');
  const gs2 = message.slice(0, sep);
  // gs2-header = gs2-cbind-flag "," [ authzid ] "," ; channel binding is not offered, so "y" or "p" are refused.
  const m = /^n,(?:a=([^,]*))?,$/.exec(gs2);
  if (!m) throw new OAuthBearerError('OAUTHBEARER GS2 header is malformed or asks for channel binding');
  const authzid = m[1] === undefined || m[1] === '' ? undefined : decodeSaslName(m[1]);
  let token: string | undefined;
  for (const pair of message.slice(sep + 1, -2).split(KVSEP)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new OAuthBearerError('OAUTHBEARER key/value pair is malformed');
    if (pair.slice(0, eq) !== 'auth') continue;
    // RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token; the scheme is case-insensitive.
    const auth = /^bearer +([A-Za-z0-9\-._~+/]+=*)$/i.exec(pair.slice(eq + 1));
    if (!auth) throw new OAuthBearerError('OAUTHBEARER auth value is not a bearer token');
    token = auth[1];
  }
  if (token === undefined) throw new OAuthBearerError('OAUTHBEARER message carries no token');
  return { authzid, token };
}

/** RFC 5801 saslname: "=2C" is a comma, "=3D" an equals sign. */
function decodeSaslName(name: string): string {
  if (/=(?!2C|3D)/.test(name)) throw new OAuthBearerError('OAUTHBEARER authzid is malformed');
  return name.replace(/=2C/g, ',').replace(/=3D/g, '=');
}
