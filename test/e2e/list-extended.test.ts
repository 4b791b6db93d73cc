// LIST-EXTENDED (RFC 5258) and LIST-STATUS (RFC 5819) over real TCP, exact wire text: selection options SUBSCRIBED,
// REMOTE, RECURSIVEMATCH, SPECIAL-USE (RFC 6154); return options CHILDREN, SUBSCRIBED, SPECIAL-USE, STATUS; several
// patterns; CHILDINFO.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, type Fixture } from './fixture.js';
import { RawClient } from './raw-client.js';

describe('LIST-EXTENDED and LIST-STATUS', () => {
  let f: Fixture;
  let c: RawClient;
  before(async () => {
    f = await startFixture();
    c = await RawClient.connect(f.port);
    assert.match(await c.command('L', `LOGIN "${f.user}" "${f.password}"`), /L OK/);
    // RFC 5258 §5 example 8's hierarchy: Foo/Bar, Foo/Baz, Moo; plus the default special-use mailboxes.
    for (const name of ['Foo/Bar', 'Foo/Baz', 'Moo', 'Gone']) assert.match(await c.command('C', `CREATE ${name}`), /C OK/);
    for (const name of ['Foo/Baz', 'Sent', 'Gone']) assert.match(await c.command('S', `SUBSCRIBE ${name}`), /S OK/);
    assert.match(await c.command('D', 'DELETE Gone'), /D OK/); // stays subscribed (RFC 3501 §6.3.9)
    const bytes = 'Subject: x\r\n\r\nhello\r\n';
    c.write(`A APPEND Sent {${bytes.length}}\r\n`);
    await c.until((t) => t.startsWith('+'));
    c.write(`${bytes}\r\n`);
    assert.match(await c.until((t) => /A (OK|NO|BAD)[^\r]*\r\n/.test(t)), /A OK/);
  });
  after(async () => {
    c.close();
    await f.close();
  });

  it('advertises LIST-EXTENDED and LIST-STATUS (RFC 5258 §3, RFC 5819 §1)', async () => {
    const caps = await c.command('c1', 'CAPABILITY');
    assert.match(caps, /^\* CAPABILITY [^\r]* LIST-EXTENDED[ \r]/m);
    assert.match(caps, /^\* CAPABILITY [^\r]* LIST-STATUS[ \r]/m);
  });

  it('LIST (SUBSCRIBED) returns subscribed names with \\Subscribed, \\NonExistent for those that do not exist (§3.1)', async () => {
    assert.equal(
      await c.command('l1', 'LIST (SUBSCRIBED) "" "*"'),
      '* LIST (\\HasNoChildren \\Subscribed) "/" "Foo/Baz"\r\n' +
        '* LIST (\\NonExistent \\Subscribed) "/" "Gone"\r\n' +
        '* LIST (\\HasNoChildren \\Sent \\Subscribed) "/" "Sent"\r\n' +
        'l1 OK LIST completed\r\n',
    );
    // §3.1 REMOTE: "The REMOTE selection option ... causes the LIST command to show remote mailboxes as well as local".
    assert.equal(
      await c.command('l2', 'LIST (REMOTE SUBSCRIBED) "" "%"'),
      '* LIST (\\NonExistent \\Subscribed) "/" "Gone"\r\n* LIST (\\HasNoChildren \\Sent \\Subscribed) "/" "Sent"\r\nl2 OK LIST completed\r\n',
    );
  });

  it('RECURSIVEMATCH returns parents of matching names with CHILDINFO (§3.5; §5 example 8)', async () => {
    assert.equal(
      await c.command('l3', 'LIST (SUBSCRIBED RECURSIVEMATCH) "" "%"'),
      '* LIST (\\HasChildren) "/" "Foo" ("CHILDINFO" ("SUBSCRIBED"))\r\n' +
        '* LIST (\\NonExistent \\Subscribed) "/" "Gone"\r\n' +
        '* LIST (\\HasNoChildren \\Sent \\Subscribed) "/" "Sent"\r\n' +
        'l3 OK LIST completed\r\n',
    );
    // §3.1: "The server MUST return BAD tagged response" for RECURSIVEMATCH alone (or only with REMOTE).
    assert.match(await c.command('l4', 'LIST (RECURSIVEMATCH) "" "%"'), /^l4 BAD /m);
    assert.match(await c.command('l5', 'LIST (REMOTE RECURSIVEMATCH) "" "%"'), /^l5 BAD /m);
    // §3: "A server MUST respond to options it does not recognize with a BAD response."
    assert.match(await c.command('l6', 'LIST (X-UNKNOWN) "" "%"'), /^l6 BAD /m);
    assert.match(await c.command('l7', 'LIST "" "%" RETURN (X-UNKNOWN)'), /^l7 BAD /m);
  });

  it('SPECIAL-USE selection returns only special-use mailboxes (RFC 6154 §5.1)', async () => {
    assert.equal(
      await c.command('l8', 'LIST (SPECIAL-USE) "" "*" RETURN (SPECIAL-USE)'),
      '* LIST (\\HasNoChildren \\Archive) "/" "Archive"\r\n' +
        '* LIST (\\HasNoChildren \\Drafts) "/" "Drafts"\r\n' +
        '* LIST (\\HasNoChildren \\Junk) "/" "Junk"\r\n' +
        '* LIST (\\HasNoChildren \\Sent) "/" "Sent"\r\n' +
        '* LIST (\\HasNoChildren \\Trash) "/" "Trash"\r\n' +
        'l8 OK LIST completed\r\n',
    );
  });

  it('several patterns, RETURN (CHILDREN SUBSCRIBED) (§3.2, §5 example 10)', async () => {
    assert.equal(
      await c.command('l9', 'LIST "" ("INBOX" "Foo/%") RETURN (CHILDREN SUBSCRIBED)'),
      '* LIST (\\HasNoChildren) "/" "INBOX"\r\n' +
        '* LIST (\\HasNoChildren) "/" "Foo/Bar"\r\n' +
        '* LIST (\\HasNoChildren \\Subscribed) "/" "Foo/Baz"\r\n' +
        'l9 OK LIST completed\r\n',
    );
  });

  it('RETURN (STATUS ...) sends STATUS after the LIST of each selectable mailbox, none for \\NonExistent (RFC 5819 §2)', async () => {
    assert.equal(
      await c.command('l10', 'LIST (SUBSCRIBED) "" ("Sent" "Gone") RETURN (STATUS (MESSAGES UNSEEN))'),
      '* LIST (\\NonExistent \\Subscribed) "/" "Gone"\r\n' +
        '* LIST (\\HasNoChildren \\Sent \\Subscribed) "/" "Sent"\r\n' +
        '* STATUS "Sent" (MESSAGES 1 UNSEEN 1)\r\n' +
        'l10 OK LIST completed\r\n',
    );
    assert.equal(
      await c.command('l11', 'LIST "" "Foo" RETURN (STATUS (MESSAGES))'),
      '* LIST (\\HasChildren) "/" "Foo"\r\n* STATUS "Foo" (MESSAGES 0)\r\nl11 OK LIST completed\r\n',
    );
  });
});
