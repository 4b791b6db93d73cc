import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture } from './fixture.js';
import { RawClient } from './raw-client.js';

test('greeting advertises capabilities; LOGIN succeeds and fails', async () => {
  const fx = await startFixture();
  try {
    const raw = await RawClient.connect(fx.port);
    const caps = await raw.command('a1', 'CAPABILITY');
    assert.match(caps, /\* CAPABILITY IMAP4rev1 .*AUTH=PLAIN/);
    assert.doesNotMatch(caps, /LOGINDISABLED/);
    const bad = await raw.command('a2', `LOGIN ${fx.user} wrong`);
    assert.match(bad, /^a2 NO \[AUTHENTICATIONFAILED\] Authentication failed\r\n$/m);
    const noMailbox = await raw.command('a3', 'SELECT INBOX');
    assert.match(noMailbox, /^a3 BAD /m);
    const ok = await raw.command('a4', `LOGIN ${fx.user} "${fx.password}"`);
    assert.match(ok, /^a4 OK \[CAPABILITY [^\]]*\] /m);
    const again = await raw.command('a5', `LOGIN ${fx.user} "${fx.password}"`);
    assert.match(again, /^a5 BAD /m);
    const bye = await raw.command('a6', 'LOGOUT');
    assert.match(bye, /\* BYE .*\r\na6 OK/);
    await raw.waitClosed();
  } finally {
    await fx.close();
  }
});

test('imapflow rejects a wrong password and accepts the right one', async () => {
  const fx = await startFixture();
  try {
    const wrong = fx.client({ password: 'nope' });
    await assert.rejects(wrong.connect());
    const right = await fx.connect();
    assert.equal(right.authenticated !== false, true);
    await right.logout();
  } finally {
    await fx.close();
  }
});

test('plaintext login is refused with PRIVACYREQUIRED when not allowed', async () => {
  const fx = await startFixture({ allowPlaintextAuth: false });
  try {
    const raw = await RawClient.connect(fx.port);
    const caps = await raw.command('a1', 'CAPABILITY');
    assert.match(caps, /LOGINDISABLED/);
    assert.doesNotMatch(caps, /AUTH=PLAIN/);
    const login = await raw.command('a2', `LOGIN ${fx.user} "${fx.password}"`);
    assert.match(login, /^a2 NO \[PRIVACYREQUIRED\]/m);
    const auth = await raw.command('a3', `AUTHENTICATE PLAIN ${Buffer.from(`\0${fx.user}\0${fx.password}`).toString('base64')}`);
    assert.match(auth, /^a3 NO \[PRIVACYREQUIRED\]/m);
    raw.close();
  } finally {
    await fx.close();
  }
});

test('AUTHENTICATE PLAIN with SASL-IR and with a continuation', async () => {
  const fx = await startFixture();
  try {
    const plain = Buffer.from(`\0${fx.user}\0${fx.password}`).toString('base64');
    const a = await RawClient.connect(fx.port);
    assert.match(await a.command('a1', `AUTHENTICATE PLAIN ${plain}`), /^a1 OK /m);
    a.close();

    const b = await RawClient.connect(fx.port);
    b.write('b1 AUTHENTICATE PLAIN\r\n');
    assert.match(await b.until((t) => t.includes('\r\n')), /^\+ ?\r\n$/);
    b.write(`${plain}\r\n`);
    assert.match(await b.until((t) => /b1 (OK|NO|BAD)/.test(t)), /^b1 OK /m);
    b.close();

    const c = await RawClient.connect(fx.port);
    c.write('c1 AUTHENTICATE PLAIN\r\n');
    await c.until((t) => t.includes('\r\n'));
    c.write('*\r\n');
    assert.match(await c.until((t) => /c1 (OK|NO|BAD)/.test(t)), /^c1 BAD /m);
    // Still usable, still not authenticated.
    assert.match(await c.command('c2', 'LIST "" "*"'), /^c2 BAD /m);
    c.close();

    const d = await RawClient.connect(fx.port);
    const wrong = Buffer.from(`\0${fx.user}\0nope`).toString('base64');
    assert.match(await d.command('d1', `AUTHENTICATE PLAIN ${wrong}`), /^d1 NO \[AUTHENTICATIONFAILED\]/m);
    d.close();
  } finally {
    await fx.close();
  }
});
