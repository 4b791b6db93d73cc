import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { OAuthBearerError, parseOAuthBearer } from '../../src/auth/oauth-bearer.js';
import { OAuthTokenError, OAuthTokenVerifier } from '../../src/auth/oauth-jwt.js';
import { decodeSaslBase64 } from '../../src/auth/sasl-base64.js';

test('OAUTHBEARER client response (RFC 7628 §3.1, the example of §4.1)', () => {
  const message = 'n,a=user@example.com,\x01host=server.example.com\x01port=143\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01';
  assert.deepEqual(parseOAuthBearer(message), { authzid: 'user@example.com', token: 'vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==' });
  assert.deepEqual(parseOAuthBearer('n,,\x01auth=bearer abc.def.ghi\x01\x01'), { authzid: undefined, token: 'abc.def.ghi' });
  assert.deepEqual(parseOAuthBearer('n,a=a=2Cb=3Dc@x,\x01auth=Bearer t\x01\x01').authzid, 'a,b=c@x');
  for (const bad of [
    '\x01', // the failure dummy is no first message
    'n,,\x01host=x\x01\x01', // no auth
    'y,,\x01auth=Bearer t\x01\x01', // channel binding
    'n,,\x01auth=Basic dXNlcjpwYXNz\x01\x01',
    'n,,\x01auth=Bearer t\x01', // not terminated
    'n,a=x=41,\x01auth=Bearer t\x01\x01', // bad saslname escape
  ]) {
    assert.throws(() => parseOAuthBearer(bad), OAuthBearerError, JSON.stringify(bad));
  }
});

test('SASL base64 is strict (RFC 9051 §6.2.2)', () => {
  assert.deepEqual(decodeSaslBase64('='), Buffer.alloc(0));
  assert.equal(decodeSaslBase64('AQ==')?.toString('latin1'), '\x01');
  for (const bad of ['=AAA', 'AAA=BBB', 'AQ=', 'A Q==', '*', 'AQ==\x00']) assert.equal(decodeSaslBase64(bad), undefined, bad);
});

test('JWT verification against a JWKS file: issuer, audience, expiry, key; identity is email, else sub', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-oauth-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const other = await generateKeyPair('ES256');
  const file = join(dir, 'jwks.json');
  writeFileSync(file, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k', alg: 'ES256' }] }));
  const verifier = new OAuthTokenVerifier({ issuer: 'https://idp.test', jwksFile: file, audience: 'imap' });
  const sign = (claims: Record<string, unknown>, o: { iss?: string; aud?: string; exp?: string; key?: CryptoKey } = {}) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: 'k' })
      .setIssuer(o.iss ?? 'https://idp.test')
      .setAudience(o.aud ?? 'imap')
      .setExpirationTime(o.exp ?? '1m')
      .sign(o.key ?? privateKey);
  assert.equal(await verifier.identity(await sign({ email: 'a@x.test', sub: '1' })), 'a@x.test');
  assert.equal(await verifier.identity(await sign({ sub: 'b@x.test' })), 'b@x.test');
  assert.equal(await verifier.identity(await sign({ sub: 'c@x.test', email: 'spoof@x.test', email_verified: false })), 'c@x.test');
  for (const [why, jwt] of [
    ['expired', await sign({ email: 'a@x.test' }, { exp: '-5m' })],
    ['issuer', await sign({ email: 'a@x.test' }, { iss: 'https://other.test' })],
    ['audience', await sign({ email: 'a@x.test' }, { aud: 'pop' })],
    ['key', await sign({ email: 'a@x.test' }, { key: other.privateKey })],
    ['no identity', await sign({})],
    ['garbage', 'not-a-jwt'],
  ] as const) {
    await assert.rejects(verifier.identity(jwt), OAuthTokenError, why);
  }
  // No audience configured: any audience passes.
  const open = new OAuthTokenVerifier({ issuer: 'https://idp.test', jwksFile: file });
  assert.equal(await open.identity(await sign({ email: 'a@x.test' }, { aud: 'pop' })), 'a@x.test');
});
