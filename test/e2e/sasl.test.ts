// AUTHENTICATE over real TCP: SCRAM-SHA-256 (RFC 5802/7677) with a client computed here from the RFC, LOGIN
// (draft-murchison-sasl-login), OAUTHBEARER (RFC 7628) with JWTs signed by a key made here and a JWKS served from a
// loopback HTTP server, and imapflow signing in with a bearer token.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ImapFlow } from 'imapflow';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { startFixture, type Fixture } from './fixture.js';
import { RawClient } from './raw-client.js';
import { addUser } from '../../src/mailstore/directory.js';
import { updateUser } from '../../src/mailstore/tenants.js';

const b64 = (s: string | Buffer): string => Buffer.from(s).toString('base64');
const unb64 = (s: string): string => Buffer.from(s, 'base64').toString('utf8');
const hmac = (key: Buffer, text: string): Buffer => createHmac('sha256', key).update(text).digest();

/** A SCRAM-SHA-256 client written from RFC 5802 §3 (no code shared with src/auth). */
function scramClient(user: string, password: string) {
  const clientNonce = randomBytes(18).toString('base64');
  const bare = `n=${user},r=${clientNonce}`;
  return {
    first: `n,,${bare}`,
    final(serverFirst: string): { message: string; serverFinal: string } {
      const fields = new Map(serverFirst.split(',').map((f) => [f[0], f.slice(2)] as const));
      const nonce = fields.get('r')!;
      assert.ok(nonce.startsWith(clientNonce), 'server nonce extends the client nonce');
      const salted = pbkdf2Sync(password, Buffer.from(fields.get('s')!, 'base64'), Number(fields.get('i')), 32, 'sha256');
      const clientKey = hmac(salted, 'Client Key');
      const storedKey = createHash('sha256').update(clientKey).digest();
      const withoutProof = `c=${b64('n,,')},r=${nonce}`;
      const authMessage = `${bare},${serverFirst},${withoutProof}`;
      const signature = hmac(storedKey, authMessage);
      const proof = Buffer.from(clientKey.map((byte, i) => byte ^ signature[i]!));
      const serverSignature = hmac(hmac(salted, 'Server Key'), authMessage);
      return { message: `${withoutProof},p=${proof.toString('base64')}`, serverFinal: `v=${serverSignature.toString('base64')}` };
    },
  };
}

/** Reads one continuation `+ <data>` and returns the data (decoded from base64). */
async function challenge(raw: RawClient): Promise<string> {
  const text = await raw.until((t) => t.endsWith('\r\n'));
  assert.match(text, /^\+ /, `expected a continuation, got ${JSON.stringify(text)}`);
  return unb64(text.slice(2, -2));
}

const tagged = (raw: RawClient, tag: string): Promise<string> =>
  raw.until((t) => new RegExp(`(^|\\r\\n)${tag} (OK|NO|BAD)[^\\r\\n]*\\r\\n$`).test(t));

async function scramSignIn(raw: RawClient, user: string, password: string, ir: boolean): Promise<string> {
  const client = scramClient(user, password);
  if (ir) raw.write(`s1 AUTHENTICATE SCRAM-SHA-256 ${b64(client.first)}\r\n`);
  else {
    raw.write('s1 AUTHENTICATE SCRAM-SHA-256\r\n');
    assert.equal(await raw.until((t) => t.endsWith('\r\n')), '+ \r\n');
    raw.write(`${b64(client.first)}\r\n`);
  }
  const final = client.final(await challenge(raw));
  raw.write(`${b64(final.message)}\r\n`);
  const text = await raw.until((t) => t.endsWith('\r\n'));
  if (!text.startsWith('+ ')) return text;
  assert.equal(unb64(text.slice(2, -2)), final.serverFinal, 'the server proves it knows the secret');
  raw.write('\r\n');
  return tagged(raw, 's1');
}

const ISSUER = 'https://idp.example.test';
const AUDIENCE = 'imap.example.test';
const INVALID_TOKEN = b64(JSON.stringify({ status: 'invalid_token' }));

describe('AUTHENTICATE', () => {
  let fx: Fixture;
  let jwks: Server;
  let privateKey: CryptoKey;
  let otherKey: CryptoKey;
  const jwksRequests: string[] = [];

  before(async () => {
    const pair = await generateKeyPair('RS256');
    privateKey = pair.privateKey;
    otherKey = (await generateKeyPair('RS256')).privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    jwks = createServer((req, res) => {
      jwksRequests.push(req.url ?? '');
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`;
    fx = await startFixture({ env: { STRATUS_OAUTH_ISSUER: ISSUER, STRATUS_OAUTH_JWKS_URL: url, STRATUS_OAUTH_AUDIENCE: AUDIENCE } });
  });

  after(async () => {
    await fx.close();
    await new Promise((resolve) => jwks.close(resolve));
  });

  const token = (claims: Record<string, unknown>, options: { key?: CryptoKey; issuer?: string; audience?: string; expires?: string } = {}) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer(options.issuer ?? ISSUER)
      .setAudience(options.audience ?? AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(options.expires ?? '5m')
      .sign(options.key ?? privateKey);

  const bearer = (jwt: string, authzid = ''): string => b64(`n,${authzid ? `a=${authzid}` : ''},\x01host=127.0.0.1\x01port=143\x01auth=Bearer ${jwt}\x01\x01`);

  it('advertises PLAIN, LOGIN, SCRAM-SHA-256 and OAUTHBEARER where plaintext is allowed', async () => {
    const raw = await RawClient.connect(fx.port);
    const caps = await raw.command('c1', 'CAPABILITY');
    assert.match(caps, / AUTH=PLAIN AUTH=LOGIN AUTH=SCRAM-SHA-256 AUTH=OAUTHBEARER[ \r]/);
    raw.close();
  });

  it('SCRAM-SHA-256 after an empty challenge: both sides proven, then the session works', async () => {
    const raw = await RawClient.connect(fx.port);
    assert.match(await scramSignIn(raw, fx.user, fx.password, false), /^s1 OK \[CAPABILITY IMAP4rev1 [^\]]*\] Logged in\r\n$/);
    assert.match(await raw.command('s2', 'SELECT INBOX'), /\r\ns2 OK \[READ-WRITE\]/);
    raw.close();
  });

  it('SCRAM-SHA-256 with SASL-IR; a wrong password gets NO [AUTHENTICATIONFAILED] after the final message', async () => {
    const raw = await RawClient.connect(fx.port);
    assert.equal(await scramSignIn(raw, fx.user, 'wrong password', true), 's1 NO [AUTHENTICATIONFAILED] Authentication failed\r\n');
    assert.equal(await scramSignIn(raw, 'nobody@example.com', 'x', true), 's1 NO [AUTHENTICATIONFAILED] Authentication failed\r\n');
    assert.match(await scramSignIn(raw, fx.user, fx.password, true), /^s1 OK \[CAPABILITY /);
    raw.close();
  });

  it('SCRAM-SHA-256: "*" cancels with BAD, bad base64 is BAD, a non-empty answer to server-final is BAD', async () => {
    const raw = await RawClient.connect(fx.port);
    const client = scramClient(fx.user, fx.password);
    raw.write(`x1 AUTHENTICATE SCRAM-SHA-256 ${b64(client.first)}\r\n`);
    await challenge(raw);
    raw.write('*\r\n');
    assert.equal(await tagged(raw, 'x1'), 'x1 BAD Authentication cancelled\r\n');
    raw.write(`x2 AUTHENTICATE SCRAM-SHA-256 ${b64(client.first)}\r\n`);
    await challenge(raw);
    raw.write('=AAA\r\n');
    assert.equal(await tagged(raw, 'x2'), 'x2 BAD Invalid base64 in authentication response\r\n');
    const again = scramClient(fx.user, fx.password);
    raw.write(`x3 AUTHENTICATE SCRAM-SHA-256 ${b64(again.first)}\r\n`);
    raw.write(`${b64(again.final(await challenge(raw)).message)}\r\n`);
    await challenge(raw);
    raw.write(`${b64('unexpected')}\r\n`);
    assert.equal(await tagged(raw, 'x3'), 'x3 BAD Expected an empty response to the server-final-message\r\n');
    assert.match(await raw.command('x4', 'SELECT INBOX'), /^x4 BAD /m);
    raw.close();
  });

  it('LOGIN asks "Username:" and "Password:", with and without SASL-IR', async () => {
    const raw = await RawClient.connect(fx.port);
    raw.write('l1 AUTHENTICATE LOGIN\r\n');
    assert.equal(await challenge(raw), 'Username:');
    raw.write(`${b64(fx.user)}\r\n`);
    assert.equal(await challenge(raw), 'Password:');
    raw.write(`${b64('wrong')}\r\n`);
    assert.equal(await tagged(raw, 'l1'), 'l1 NO [AUTHENTICATIONFAILED] Authentication failed\r\n');
    raw.write(`l2 AUTHENTICATE LOGIN ${b64(fx.user)}\r\n`);
    assert.equal(await challenge(raw), 'Password:');
    raw.write(`${b64(fx.password)}\r\n`);
    assert.match(await tagged(raw, 'l2'), /^l2 OK \[CAPABILITY [^\]]*\] Logged in\r\n$/);
    raw.close();
  });

  it('an unknown mechanism is NO [CANNOT]', async () => {
    const raw = await RawClient.connect(fx.port);
    assert.equal(await raw.command('m1', 'AUTHENTICATE GSSAPI'), 'm1 NO [CANNOT] Unsupported authentication mechanism\r\n');
    raw.close();
  });

  it('OAUTHBEARER with a valid token signs in (SASL-IR and after a continuation); the JWKS is fetched once', async () => {
    const raw = await RawClient.connect(fx.port);
    const jwt = await token({ email: fx.user, sub: 'u-1' });
    assert.match(await raw.command('o1', `AUTHENTICATE OAUTHBEARER ${bearer(jwt, fx.user)}`), /^o1 OK \[CAPABILITY [^\]]*\] Logged in\r\n$/);
    raw.close();
    const second = await RawClient.connect(fx.port);
    second.write('o2 AUTHENTICATE OAUTHBEARER\r\n');
    assert.equal(await second.until((t) => t.endsWith('\r\n')), '+ \r\n');
    second.write(`${bearer(jwt)}\r\n`);
    assert.match(await tagged(second, 'o2'), /^o2 OK /);
    second.close();
    assert.deepEqual(jwksRequests, ['/jwks.json']);
  });

  it('OAUTHBEARER refusals: RFC 7628 error challenge, then NO after the dummy response', async () => {
    const bob = 'bob@example.com';
    const { tenantId } = await addUser(fx.ctx, bob, 'bob password');
    await updateUser(fx.ctx, tenantId, bob, { status: 'disabled' });
    const cases: [string, string][] = [
      ['expired', await token({ email: fx.user }, { expires: '-10m' })],
      ['wrong issuer', await token({ email: fx.user }, { issuer: 'https://evil.example.test' })],
      ['wrong audience', await token({ email: fx.user }, { audience: 'other' })],
      ['wrong key', await token({ email: fx.user }, { key: otherKey })],
      ['unknown user', await token({ email: 'nobody@example.com' })],
      ['disabled user', await token({ email: bob })],
      ['not a JWT', 'abc.def.ghi'],
    ];
    for (const [why, jwt] of cases) {
      const raw = await RawClient.connect(fx.port);
      raw.write(`o3 AUTHENTICATE OAUTHBEARER ${bearer(jwt)}\r\n`);
      assert.equal(await raw.until((t) => t.endsWith('\r\n')), `+ ${INVALID_TOKEN}\r\n`, why);
      raw.write('AQ==\r\n');
      assert.equal(await tagged(raw, 'o3'), 'o3 NO [AUTHENTICATIONFAILED] Authentication failed\r\n', why);
      raw.close();
    }
    // A token for one user does not let the client act as another (authzid), and "*" ends the exchange with BAD.
    const raw = await RawClient.connect(fx.port);
    raw.write(`o4 AUTHENTICATE OAUTHBEARER ${bearer(await token({ email: fx.user }), bob)}\r\n`);
    assert.equal(await raw.until((t) => t.endsWith('\r\n')), `+ ${INVALID_TOKEN}\r\n`);
    raw.write('*\r\n');
    assert.equal(await tagged(raw, 'o4'), 'o4 BAD Authentication cancelled\r\n');
    raw.close();
  });

  it('imapflow signs in with a bearer token', async () => {
    const flow = new ImapFlow({
      host: '127.0.0.1',
      port: fx.port,
      secure: false,
      logger: false,
      auth: { user: fx.user, accessToken: await token({ email: fx.user }) },
    });
    await flow.connect();
    const lock = await flow.getMailboxLock('INBOX');
    lock.release();
    await flow.logout();
  });
});

describe('AUTHENTICATE without TLS on a listener that refuses plaintext', () => {
  it('offers only SCRAM-SHA-256 (no OAUTHBEARER, no LOGIN), refuses PLAIN and LOGIN, accepts SCRAM', async () => {
    const fx = await startFixture({ allowPlaintextAuth: false });
    try {
      const raw = await RawClient.connect(fx.port);
      const caps = await raw.command('c1', 'CAPABILITY');
      assert.match(caps, / AUTH=SCRAM-SHA-256 LOGINDISABLED\r\n/);
      assert.doesNotMatch(caps, /AUTH=(PLAIN|LOGIN|OAUTHBEARER)/);
      assert.equal(await raw.command('c2', 'AUTHENTICATE LOGIN'), 'c2 NO [PRIVACYREQUIRED] Plaintext authentication is disabled on this connection\r\n');
      assert.match(await scramSignIn(raw, fx.user, fx.password, true), /^s1 OK \[CAPABILITY /);
      raw.close();
    } finally {
      await fx.close();
    }
  });
});
