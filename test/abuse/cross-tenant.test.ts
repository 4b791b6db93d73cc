// Two tenants with the same local part (alice@example.com, alice@other.example): whatever a user of one tenant says
// over IMAP, POP3 or LMTP, she reaches only her own tenant's mail (issue 9 "an adversarial cross-tenant test over
// every protocol"; the admin API's tenant tokens are tested in test/admin and test/acl/admin-shared.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture } from '../e2e/fixture.js';
import { RawClient } from '../e2e/raw-client.js';
import { RawPop3, listing } from '../pop3/raw-pop3.js';
import { LmtpClient } from '../../bench/lmtp-client.js';
import { addUser } from '../../src/mailstore/directory.js';

const OTHER = 'alice@other.example';
const PASSWORD = 'other tenant password';

async function deliver(port: number, to: string, subject: string): Promise<number> {
  const { client } = await LmtpClient.open(port);
  await client.command('LHLO test');
  await client.command('MAIL FROM:<sender@example.net>');
  const rcpt = await client.command(`RCPT TO:<${to}>`);
  if (rcpt.code !== 250) {
    await client.close();
    return rcpt.code;
  }
  const { replies } = await client.data(`From: sender@example.net\r\nTo: ${to}\r\nSubject: ${subject}\r\n\r\nfor ${to}\r\n`, 1);
  await client.close();
  return replies[0]!.code;
}

test('the same local part in two tenants: IMAP, POP3 and LMTP each reach one tenant only', async () => {
  const fx = await startFixture();
  try {
    await addUser(fx.ctx, OTHER, PASSWORD);
    // LMTP: each address delivers to its own tenant; a bare local part or a domain of no tenant is refused.
    assert.equal(await deliver(fx.lmtpPort, fx.user, 'first tenant'), 250);
    assert.equal(await deliver(fx.lmtpPort, OTHER, 'second tenant'), 250);
    assert.notEqual(await deliver(fx.lmtpPort, 'alice', 'no domain'), 250);
    assert.notEqual(await deliver(fx.lmtpPort, 'alice@nowhere.example', 'no tenant'), 250);

    // POP3: each login sees exactly its own one message; the other tenant's password does not open the first.
    const pop = await RawPop3.connect(fx.pop3Port);
    assert.match(await pop.login(OTHER, PASSWORD), /^\+OK/);
    const { body } = await pop.multiCommand('LIST');
    assert.equal(listing(body).length, 1);
    const message = await pop.multiCommand('RETR 1');
    assert.match(message.body, /for alice@other\.example/);
    assert.doesNotMatch(message.body, /for alice@example\.com/);
    pop.close();
    const wrong = await RawPop3.connect(fx.pop3Port);
    assert.match(await wrong.login(fx.user, PASSWORD), /^-ERR/);
    wrong.close();

    // IMAP: the other tenant's mailboxes cannot be named, listed, selected, appended to or shared with.
    const imap = await RawClient.connect(fx.port);
    assert.match(await imap.command('L', `LOGIN ${OTHER} "${PASSWORD}"`), /L OK/);
    const list = await imap.command('A', 'LIST "" "*"');
    assert.doesNotMatch(list, /example\.com/);
    assert.match(await imap.command('B', 'SELECT "Other Users/alice@example.com/INBOX"'), /B NO/);
    assert.match(await imap.command('C', 'STATUS "Other Users/alice@example.com/INBOX" (MESSAGES)'), /C NO/);
    assert.match(await imap.command('D', 'APPEND "Other Users/alice@example.com/INBOX" {3+}\r\nx\r\n'), /D NO/);
    assert.match(await imap.command('E', 'SETACL INBOX alice@example.com lr'), /E (NO|BAD)/);
    assert.match(await imap.command('F', 'SELECT INBOX'), /\* 1 EXISTS/);
    assert.match(await imap.command('G', 'FETCH 1 BODY.PEEK[TEXT]'), /for alice@other\.example/);
    imap.close();

    // The first tenant's alice still has her one message, untouched.
    const first = await RawClient.connect(fx.port);
    assert.match(await first.command('L', `LOGIN ${fx.user} "${fx.password}"`), /L OK/);
    assert.match(await first.command('S', 'STATUS INBOX (MESSAGES)'), /MESSAGES 1\)/);
    first.close();
  } finally {
    await fx.close();
  }
});
