// SCRAM-SHA-256: secrets, password checks, and the server exchange against an independent client written here from
// RFC 5802 §3 (it shares no code with src/auth). The fixed exchange is the test vector of RFC 7677 §3.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { makeScramSecret, ScramError, ScramServerExchange, verifyPassword } from '../../src/auth/scram.js';
import type { ScramSecret } from '../../src/auth/scram.js';

const VECTOR = {
  user: 'user',
  password: 'pencil',
  clientNonce: 'rOprNGfwEbeRWgbNEkqO',
  serverNonce: '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0',
  salt: 'W22ZaJ0SNY7soEsUEjb6gQ==',
  clientFirst: 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO',
  serverFirst: 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
  clientFinal:
    'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
  serverFinal: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
};

/** A SCRAM-SHA-256 client per RFC 5802 §3 and §7 (no channel binding; NFKC stands in for SASLprep). */
class TestScramClient {
  private clientFirstBare = '';
  private serverSignature: Buffer | undefined;

  constructor(
    private readonly user: string,
    private readonly password: string,
    private readonly nonce = randomBytes(15).toString('base64'),
    private readonly gs2Header = 'n,,',
  ) {}

  first(): string {
    const saslname = this.user.replace(/=/g, '=3D').replace(/,/g, '=2C');
    this.clientFirstBare = `n=${saslname},r=${this.nonce}`;
    return this.gs2Header + this.clientFirstBare;
  }

  final(serverFirst: string): string {
    const attrs = new Map(serverFirst.split(',').map((a) => [a.slice(0, 1), a.slice(2)] as const));
    const nonce = attrs.get('r') ?? '';
    assert.ok(nonce.startsWith(this.nonce), 'server nonce must extend the client nonce');
    const salt = Buffer.from(attrs.get('s') ?? '', 'base64');
    const iterations = Number(attrs.get('i'));
    const hmac = (key: Uint8Array, data: string): Buffer => createHmac('sha256', key).update(data).digest();
    const salted = pbkdf2Sync(this.password.normalize('NFKC'), salt, iterations, 32, 'sha256');
    const clientKey = hmac(salted, 'Client Key');
    const storedKey = createHash('sha256').update(clientKey).digest();
    const withoutProof = `c=${Buffer.from(this.gs2Header).toString('base64')},r=${nonce}`;
    const authMessage = `${this.clientFirstBare},${serverFirst},${withoutProof}`;
    const clientSignature = hmac(storedKey, authMessage);
    const proof = Buffer.from(clientKey.map((byte, i) => byte ^ (clientSignature[i] ?? 0)));
    this.serverSignature = hmac(hmac(salted, 'Server Key'), authMessage);
    return `${withoutProof},p=${proof.toString('base64')}`;
  }

  /** RFC 5802 §3: the client authenticates the server by comparing ServerSignature. */
  serverIsAuthentic(serverFinal: string): boolean {
    assert.ok(this.serverSignature, 'final() must come first');
    const received = Buffer.from(serverFinal.replace(/^v=/, ''), 'base64');
    return received.length === this.serverSignature.length && timingSafeEqual(received, this.serverSignature);
  }
}

function vectorSecret(): ScramSecret {
  return makeScramSecret(VECTOR.password, 4096, Buffer.from(VECTOR.salt, 'base64'));
}

function scramCode(code: string) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof ScramError, `expected ScramError, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.equal(error.serverFinal, `e=${code}`);
    return true;
  };
}

/** Runs a whole exchange with the test client and returns the outcome (throws ScramError on failure). */
function authenticate(secret: ScramSecret | undefined, user: string, password: string) {
  const client = new TestScramClient(user, password);
  const server = new ScramServerExchange();
  server.receiveClientFirst(client.first());
  const success = server.receiveClientFinal(client.final(server.serverFirst(secret)));
  return { client, success };
}

describe('RFC 7677 §3 test vector', () => {
  it('produces exactly the messages of the RFC', () => {
    const client = new TestScramClient(VECTOR.user, VECTOR.password, VECTOR.clientNonce);
    const server = new ScramServerExchange({ serverNonce: VECTOR.serverNonce });

    const clientFirst = client.first();
    assert.equal(clientFirst, VECTOR.clientFirst);
    assert.deepEqual(server.receiveClientFirst(clientFirst), {
      username: 'user',
      authzid: undefined,
      clientNonce: VECTOR.clientNonce,
    });

    const serverFirst = server.serverFirst(vectorSecret());
    assert.equal(serverFirst, VECTOR.serverFirst);

    const clientFinal = client.final(serverFirst);
    assert.equal(clientFinal, VECTOR.clientFinal);

    const success = server.receiveClientFinal(clientFinal);
    assert.deepEqual(success, { username: 'user', authzid: undefined, serverFinal: VECTOR.serverFinal });
    assert.ok(client.serverIsAuthentic(success.serverFinal));
  });

  it('accepts the RFC client messages as bytes', () => {
    const server = new ScramServerExchange({ serverNonce: VECTOR.serverNonce });
    server.receiveClientFirst(Buffer.from(VECTOR.clientFirst));
    server.serverFirst(vectorSecret());
    assert.equal(server.receiveClientFinal(Buffer.from(VECTOR.clientFinal)).serverFinal, VECTOR.serverFinal);
  });

  it('rejects the RFC proof with one bit flipped', () => {
    const server = new ScramServerExchange({ serverNonce: VECTOR.serverNonce });
    server.receiveClientFirst(VECTOR.clientFirst);
    server.serverFirst(vectorSecret());
    const tampered = VECTOR.clientFinal.replace('p=dHzb', 'p=dHzc');
    assert.throws(() => server.receiveClientFinal(tampered), scramCode('invalid-proof'));
  });
});

describe('makeScramSecret and verifyPassword', () => {
  it('stores base64 salt, keys and the iteration count, never the password', () => {
    const secret = makeScramSecret('correct horse', 4096);
    assert.equal(secret.mechanism, 'SCRAM-SHA-256');
    assert.equal(secret.iterations, 4096);
    assert.equal(Buffer.from(secret.salt, 'base64').length, 16);
    assert.equal(Buffer.from(secret.storedKey, 'base64').length, 32);
    assert.equal(Buffer.from(secret.serverKey, 'base64').length, 32);
    assert.ok(!JSON.stringify(secret).includes('correct horse'));
  });

  it('uses a fresh salt each time', () => {
    assert.notEqual(makeScramSecret('same', 16).salt, makeScramSecret('same', 16).salt);
  });

  it('verifies the right password and rejects others', () => {
    const secret = makeScramSecret('pencil', 64);
    assert.equal(verifyPassword(secret, 'pencil'), true);
    assert.equal(verifyPassword(secret, 'Pencil'), false);
    assert.equal(verifyPassword(secret, 'pencil '), false);
    assert.equal(verifyPassword(secret, ''), false);
  });

  it('applies SASLprep to both sides: NFKC, non-ASCII spaces, mapped-to-nothing characters', () => {
    const secret = makeScramSecret('a b\u00BDI\u00ADX', 64); // ½ is 1⁄2 under NFKC; U+00AD vanishes
    assert.equal(verifyPassword(secret, 'a\u00A0b1\u20442IX'), true);
    assert.equal(verifyPassword(secret, 'a b\u00BDIX'), true);
    assert.equal(verifyPassword(secret, 'a b\u00BDI-X'), false);
  });

  it('treats a password SASLprep prohibits as wrong', () => {
    const secret = makeScramSecret('pencil', 64);
    assert.equal(verifyPassword(secret, 'pencil\u0007'), false);
  });

  it('refuses empty passwords, prohibited characters and bad iteration counts', () => {
    assert.throws(() => makeScramSecret(''), RangeError);
    assert.throws(() => makeScramSecret('\u00AD'), RangeError); // empty after mapping
    assert.throws(() => makeScramSecret('bell\u0007'), { name: 'SaslprepError' });
    assert.throws(() => makeScramSecret('x', 0), RangeError);
    assert.throws(() => makeScramSecret('x', 1.5), RangeError);
  });
});

describe('ScramServerExchange', () => {
  it('authenticates a client with random nonces and a non-ASCII password, and proves itself', () => {
    const password = 'gr\u00FCn-\u2168-\u00BD';
    const { client, success } = authenticate(makeScramSecret(password, 128), 'm\u00FCller@example.com', password);
    assert.equal(success.username, 'm\u00FCller@example.com');
    assert.ok(client.serverIsAuthentic(success.serverFinal));
  });

  it('fails a wrong password with invalid-proof', () => {
    assert.throws(() => authenticate(makeScramSecret('right', 64), 'user', 'wrong'), scramCode('invalid-proof'));
  });

  it('runs an unknown user through a normal-looking server-first and then fails it', () => {
    const client = new TestScramClient('ghost', 'pencil');
    const server = new ScramServerExchange();
    server.receiveClientFirst(client.first());
    const serverFirst = server.serverFirst(undefined);
    assert.match(serverFirst, /^r=[\x21-\x2B\x2D-\x7E]+,s=[A-Za-z0-9+/]{22}==,i=4096$/);
    assert.throws(() => server.receiveClientFinal(client.final(serverFirst)), scramCode('invalid-proof'));
  });

  it('gives an unknown user the same fake salt every time when keyed', () => {
    const key = randomBytes(32);
    const saltOf = (user: string): string => {
      const server = new ScramServerExchange({ unknownUserSaltKey: key });
      server.receiveClientFirst(new TestScramClient(user, 'x').first());
      return server.serverFirst(undefined).split(',')[1] ?? '';
    };
    assert.equal(saltOf('ghost'), saltOf('ghost'));
    assert.notEqual(saltOf('ghost'), saltOf('phantom'));
  });

  it('decodes =2C and =3D in names and reports the authzid', () => {
    const server = new ScramServerExchange();
    const first = server.receiveClientFirst('n,a=ad=3Dmin,n=a=2Cb,r=abc');
    assert.deepEqual(first, { username: 'a,b', authzid: 'ad=min', clientNonce: 'abc' });
  });

  it('uses the prepared user name for lookup but the raw message for the proof', () => {
    const password = 'pencil';
    const client = new TestScramClient('I\u00ADX', password); // RFC 4013 §3 example 1: I<U+00AD>X → IX
    const server = new ScramServerExchange();
    assert.equal(server.receiveClientFirst(client.first()).username, 'IX');
    const success = server.receiveClientFinal(client.final(server.serverFirst(makeScramSecret(password, 64))));
    assert.equal(success.username, 'IX');
  });

  it('rejects malformed client-first messages with the RFC 5802 §7 error values', () => {
    const cases: Array<[string, string]> = [
      ['', 'invalid-encoding'],
      ['n,,', 'invalid-encoding'],
      ['x,,n=user,r=abc', 'invalid-encoding'],
      ['n,,r=abc,n=user', 'invalid-encoding'],
      ['n,,n=user', 'invalid-encoding'],
      ['n,,n=user,r=', 'invalid-encoding'],
      ['n,,n=user,r=abc,junk', 'invalid-encoding'],
      ['p=tls-unique,,n=user,r=abc', 'channel-binding-not-supported'],
      ['n,,m=ext,n=user,r=abc', 'extensions-not-supported'],
      ['n,,n=us=2Xer,r=abc', 'invalid-username-encoding'],
      ['n,,n=user=,r=abc', 'invalid-username-encoding'],
      ['n,,n=,r=abc', 'invalid-username-encoding'],
      ['n,,n=\u00AD,r=abc', 'invalid-username-encoding'],
      ['n,,n=bell\u0007,r=abc', 'invalid-username-encoding'],
      ['n,,n=user,r=abc\u0000', 'invalid-encoding'],
      [`n,,n=${'u'.repeat(5000)},r=abc`, 'invalid-encoding'],
    ];
    for (const [message, code] of cases) {
      assert.throws(() => new ScramServerExchange().receiveClientFirst(message), scramCode(code), message);
    }
  });

  it('rejects a client-first message that is not UTF-8', () => {
    const bytes = Buffer.concat([Buffer.from('n,,n=us'), Buffer.from([0xff]), Buffer.from('er,r=abc')]);
    assert.throws(() => new ScramServerExchange().receiveClientFirst(bytes), scramCode('invalid-encoding'));
  });

  it('accepts an optional extension in client-first and ignores it', () => {
    const first = new ScramServerExchange().receiveClientFirst('n,,n=user,r=abc,x=whatever');
    assert.equal(first.username, 'user');
  });

  it('checks channel binding data, nonce and proof shape in client-final', () => {
    const secret = vectorSecret();
    const start = (): ScramServerExchange => {
      const server = new ScramServerExchange({ serverNonce: VECTOR.serverNonce });
      server.receiveClientFirst(VECTOR.clientFirst);
      server.serverFirst(secret);
      return server;
    };
    const nonce = `${VECTOR.clientNonce}${VECTOR.serverNonce}`;
    const proof = 'p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=';
    const cases: Array<[string, string]> = [
      [`c=eSws,r=${nonce},${proof}`, 'channel-bindings-dont-match'], // "y,," instead of "n,,"
      [`c=biws,r=${VECTOR.clientNonce}other,${proof}`, 'other-error'],
      [`c=biws,r=${nonce},p=AAAA`, 'invalid-proof'],
      [`c=biws,r=${nonce},p=not*base64`, 'invalid-encoding'],
      [`c=biws,r=${nonce}`, 'invalid-encoding'],
      [`r=${nonce},c=biws,${proof}`, 'invalid-encoding'],
      [`c=biws,r=${nonce},${proof},x=after-proof`, 'invalid-encoding'],
    ];
    for (const [message, code] of cases) {
      assert.throws(() => start().receiveClientFinal(message), scramCode(code), message);
    }
  });

  it('accepts an optional extension before the proof as part of AuthMessage', () => {
    // The vector proof covers AuthMessage without the extension, so an inserted extension must break the proof:
    // this shows the extension is parsed (no invalid-encoding) and bound into AuthMessage.
    const server = new ScramServerExchange({ serverNonce: VECTOR.serverNonce });
    server.receiveClientFirst(VECTOR.clientFirst);
    server.serverFirst(vectorSecret());
    const withExtension = VECTOR.clientFinal.replace(',p=', ',x=ext,p=');
    assert.throws(() => server.receiveClientFinal(withExtension), scramCode('invalid-proof'));
  });

  it('enforces the order of steps and cannot be reused after success or failure', () => {
    const secret = vectorSecret();
    assert.throws(() => new ScramServerExchange().serverFirst(secret), scramCode('other-error'));
    assert.throws(() => new ScramServerExchange().receiveClientFinal(VECTOR.clientFinal), scramCode('other-error'));

    const done = new ScramServerExchange({ serverNonce: VECTOR.serverNonce });
    done.receiveClientFirst(VECTOR.clientFirst);
    done.serverFirst(secret);
    done.receiveClientFinal(VECTOR.clientFinal);
    assert.throws(() => done.receiveClientFinal(VECTOR.clientFinal), scramCode('other-error'));

    const failed = new ScramServerExchange();
    assert.throws(() => failed.receiveClientFirst('garbage'), ScramError);
    assert.throws(() => failed.receiveClientFirst(VECTOR.clientFirst), scramCode('other-error'));
  });

  it('refuses a server nonce that is not printable-without-comma', () => {
    assert.throws(() => new ScramServerExchange({ serverNonce: 'a,b' }), RangeError);
    assert.throws(() => new ScramServerExchange({ serverNonce: '' }), RangeError);
  });
});
