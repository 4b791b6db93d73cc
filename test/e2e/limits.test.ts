// Limits and abuse (issue 3 item 6) over real TCP, with tiny limits set through the fixture: each is answered with
// a tagged or untagged response and the server stays up. Nesting depth, pipelined commands, failed logins per
// connection (BYE) and per account across connections (NO [UNAVAILABLE]), and inactivity autologout (RFC 9051 §5.4).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, type Fixture } from './fixture.js';
import { RawClient } from './raw-client.js';
import { addUser } from '../../src/mailstore/directory.js';

const AUTH_FAILED = 'NO [AUTHENTICATIONFAILED] Authentication failed\r\n';

describe('limits', () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture({
      maxLineBytes: 1024,
      env: {
        STRATUS_MAX_AUTH_FAILURES: '3',
        STRATUS_AUTH_ACCOUNT_MAX_FAILURES: '4',
        STRATUS_IMAP_LOGIN_TIMEOUT_MS: '1000',
        STRATUS_IMAP_IDLE_TIMEOUT_MS: '1500',
      },
    });
  });
  after(async () => fx.close());

  const signedIn = async (): Promise<RawClient> => {
    const raw = await RawClient.connect(fx.port);
    assert.match(await raw.command('l', `LOGIN ${fx.user} "${fx.password}"`), /^l OK /m);
    return raw;
  };

  it('deeply nested search keys are BAD; the session goes on', async () => {
    const raw = await signedIn();
    await raw.command('s', 'SELECT INBOX');
    const depth = 100;
    // Parentheses stop at parser/limits.ts MAX_NESTING_DEPTH (32), the limit of every "(" list.
    assert.equal(await raw.command('n1', `SEARCH ${'('.repeat(depth)}ALL${')'.repeat(depth)}`), 'n1 BAD Too deeply nested (at most 32 levels of parentheses)\r\n');
    assert.equal(await raw.command('n2', `SEARCH ${'NOT '.repeat(depth)}ALL`), 'n2 BAD Search nested too deeply\r\n');
    assert.match(await raw.command('n3', `SEARCH ${'('.repeat(8)}ALL${')'.repeat(8)}`), /^\* SEARCH\r\nn3 OK /);
    raw.close();
  });

  it('thousands of pipelined commands are read as the session takes them and answered once each, in order', async () => {
    const raw = await signedIn();
    const count = 5000; // ~50 KB, far beyond what the reader holds (2 × the 1 KiB line limit) before pausing
    raw.write(Array.from({ length: count }, (_, i) => `p${i} NOOP\r\n`).join(''));
    const text = await raw.until((t) => t.endsWith(`p${count - 1} OK NOOP completed\r\n`));
    const tags = [...text.matchAll(/^(p\d+) OK NOOP completed\r$/gm)].map((m) => m[1]);
    assert.equal(tags.length, count);
    assert.ok(tags.every((tag, i) => tag === `p${i}`));
    raw.close();
  });

  it('the third failed login on a connection is answered, then BYE and the connection closes', async () => {
    const carol = 'carol@example.com';
    await addUser(fx.ctx, carol, 'carol password');
    const raw = await RawClient.connect(fx.port);
    assert.equal(await raw.command('f1', `LOGIN ${carol} wrong1`), `f1 ${AUTH_FAILED}`);
    assert.equal(await raw.command('f2', `AUTHENTICATE PLAIN ${Buffer.from(`\0${carol}\0wrong2`).toString('base64')}`), `f2 ${AUTH_FAILED}`);
    raw.write(`f3 LOGIN ${carol} wrong3\r\n`);
    assert.equal(await raw.until((t) => t.includes('* BYE')), `f3 ${AUTH_FAILED}* BYE Too many authentication failures\r\n`);
    await raw.waitClosed();
    // A success in between resets nothing on the connection but the account's penalty; carol can still log in.
    const again = await RawClient.connect(fx.port);
    assert.match(await again.command('f4', `LOGIN ${carol} "carol password"`), /^f4 OK /);
    again.close();
  });

  it('failed logins for one account across connections: past the cap it is refused unchecked, others unaffected', async () => {
    const dave = 'dave@example.com';
    await addUser(fx.ctx, dave, 'dave password');
    for (let i = 0; i < 4; i++) {
      const raw = await RawClient.connect(fx.port);
      assert.equal(await raw.command('d', `LOGIN ${dave} wrong${i}`), `d ${AUTH_FAILED}`);
      raw.close();
    }
    const raw = await RawClient.connect(fx.port);
    const reads = fx.meter.snapshot();
    assert.equal(
      await raw.command('d5', `LOGIN ${dave} "dave password"`),
      'd5 NO [UNAVAILABLE] Too many failed logins for this account, try again later\r\n',
    );
    assert.deepEqual(fx.meter.snapshot(), reads, 'the password was not even checked');
    assert.match(await raw.command('d6', `LOGIN ${fx.user} "${fx.password}"`), /^d6 OK /);
    raw.close();
  });

  it('an idle connection is logged out: quickly before login, later after it (also during IDLE)', async () => {
    const anonymous = await RawClient.connect(fx.port);
    assert.equal(await anonymous.until((t) => t.includes('\r\n')), '* BYE Autologout; idle for too long\r\n');
    await anonymous.waitClosed();
    const raw = await signedIn();
    await raw.command('s', 'SELECT INBOX');
    raw.write('i1 IDLE\r\n');
    assert.match(await raw.until((t) => t.includes('+ ')), /^\+ idling\r\n$/);
    assert.match(await raw.until((t) => t.includes('* BYE')), /\* BYE Autologout; idle for too long\r\n$/);
    await raw.waitClosed();
  });
});
