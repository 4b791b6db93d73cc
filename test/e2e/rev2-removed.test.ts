// What IMAP4rev2 removed, over TCP (RFC 9051 Appendix E): item 17 "Removed the CHECK command. Clients should use NOOP
// instead." After ENABLE IMAP4rev2 a CHECK is answered exactly like a command the server never had (tagged BAD);
// an IMAP4rev1 session keeps it (RFC 3501 §6.4.1). Item 19 only *deprecates* LSUB ("Clients should use LIST
// (SUBSCRIBED) instead"), so a server advertising both revisions still answers it in a rev2 session, as it answers
// the deprecated RFC822.* FETCH items (item 18).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, type Fixture } from './fixture.js';
import { RawClient } from './raw-client.js';

describe('IMAP4rev2 removed CHECK, kept LSUB (RFC 9051 Appendix E items 17–19)', () => {
  let f: Fixture;
  const open: RawClient[] = [];

  async function session(rev2: boolean): Promise<RawClient> {
    const c = await RawClient.connect(f.port);
    open.push(c);
    assert.match(await c.command('L', `LOGIN "${f.user}" "${f.password}"`), /^L OK/m);
    if (rev2) assert.equal(await c.command('E', 'ENABLE IMAP4rev2'), '* ENABLED IMAP4rev2\r\nE OK ENABLE completed\r\n');
    return c;
  }

  before(async () => {
    f = await startFixture();
    const c = await session(false);
    const m = 'Subject: one\r\n\r\nbody\r\n';
    assert.match(await c.command('a', `APPEND INBOX {${m.length}+}\r\n${m}`), /^a OK/m);
    assert.match(await c.command('s', 'SUBSCRIBE INBOX'), /^s OK/m);
  });
  after(async () => {
    for (const c of open) c.close();
    await f.close();
  });

  it('rev1: CHECK in the selected state is a checkpoint (RFC 3501 §6.4.1), outside it a BAD', async () => {
    const c = await session(false);
    assert.equal(await c.command('k0', 'CHECK'), 'k0 BAD CHECK: No mailbox selected\r\n');
    assert.match(await c.command('s', 'SELECT INBOX'), /^s OK/m);
    assert.equal(await c.command('k1', 'CHECK'), 'k1 OK CHECK completed\r\n');
  });

  it('rev2: CHECK is an unknown command, in every state, and the session goes on', async () => {
    const c = await session(true);
    const unknown = await c.command('u', 'XYZZY');
    assert.equal(unknown, 'u BAD Command XYZZY is not supported\r\n');
    assert.equal(await c.command('k0', 'CHECK'), 'k0 BAD Command CHECK is not supported\r\n');
    assert.match(await c.command('s', 'SELECT INBOX'), /^s OK/m);
    assert.equal(await c.command('k1', 'CHECK'), 'k1 BAD Command CHECK is not supported\r\n');
    assert.equal(await c.command('k2', 'check'), 'k2 BAD Command CHECK is not supported\r\n');
    // What the RFC says to use instead works.
    assert.equal(await c.command('n', 'NOOP'), 'n OK NOOP completed\r\n');
  });

  it('rev2: LSUB and RFC822.SIZE are deprecated, not removed, and still answered', async () => {
    const c = await session(true);
    assert.match(await c.command('l', 'LSUB "" "*"'), /^\* LSUB \([^)]*\) "\/" "?INBOX"?\r\nl OK LSUB completed\r\n$/);
    assert.match(await c.command('s', 'EXAMINE INBOX'), /^s OK/m);
    assert.match(await c.command('f', 'FETCH 1 (RFC822.SIZE)'), /^\* 1 FETCH \((UID 1 )?RFC822\.SIZE 22( UID 1)?\)\r\nf OK/m);
  });
});
