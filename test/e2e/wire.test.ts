// Wire-level behaviour a library client would hide: malformed input, limits, aborted uploads, and when EXPUNGE may
// be announced (RFC 3501 §7.4.1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture } from './fixture.js';
import { RawClient } from './raw-client.js';
import { simpleMessage } from './sample-messages.js';

async function loggedIn(port: number, user: string, password: string): Promise<RawClient> {
  const raw = await RawClient.connect(port);
  assert.match(await raw.command('L', `LOGIN ${user} "${password}"`), /^L OK/m);
  return raw;
}

test('malformed commands get BAD (untagged when there is no tag) and the connection stays usable', async () => {
  const fx = await startFixture();
  try {
    const raw = await RawClient.connect(fx.port);
    raw.write(')))\r\n');
    assert.match(await raw.until((t) => t.endsWith('\r\n')), /^\* BAD /);
    assert.match(await raw.command('a1', 'XYZZY'), /^a1 BAD /m);
    assert.match(await raw.command('a2', 'LOGIN onlyuser'), /^a2 BAD /m);
    assert.match(await raw.command('a3', 'FETCH 1 FLAGS'), /^a3 BAD /m);
    await raw.command('a4', `LOGIN ${fx.user} "${fx.password}"`);
    await raw.command('a5', 'SELECT INBOX');
    assert.match(await raw.command('a6', 'FETCH 1:* (FLAGS'), /^a6 BAD /m);
    assert.match(await raw.command('a7', 'FETCH 5 FLAGS'), /^a7 BAD /m); // no message 5
    assert.match(await raw.command('a8', 'SEARCH CHARSET KOI8-R TEXT x'), /^a8 NO \[BADCHARSET/m);
    assert.match(await raw.command('a9', 'NOOP'), /^a9 OK /m);
    assert.deepEqual(fx.problems, []);
    raw.close();
  } finally {
    await fx.close();
  }
});

test('an oversized literal is refused before it is sent', async () => {
  const fx = await startFixture({ maxLiteralBytes: 1024, maxMessageBytes: 4096 });
  try {
    const raw = await RawClient.connect(fx.port);
    raw.write('a1 LOGIN {100000}\r\n');
    const refused = await raw.until((t) => /a1 (OK|NO|BAD)/.test(t));
    assert.doesNotMatch(refused, /^\+/m, 'no continuation for a refused literal');
    assert.match(refused, /^a1 BAD \[TOOBIG\]/m);
    await raw.command('a2', `LOGIN ${fx.user} "${fx.password}"`);
    raw.write('a3 APPEND INBOX {100000}\r\n');
    const tooBig = await raw.until((t) => /a3 (OK|NO|BAD)/.test(t));
    assert.doesNotMatch(tooBig, /^\+/m);
    assert.match(tooBig, /^a3 NO \[TOOBIG\]/m);
    assert.match(await raw.command('a4', 'STATUS INBOX (MESSAGES)'), /MESSAGES 0/);
    raw.close();
  } finally {
    await fx.close();
  }
});

test('APPEND to a missing mailbox is NO [TRYCREATE] without reading the message', async () => {
  const fx = await startFixture();
  try {
    const raw = await loggedIn(fx.port, fx.user, fx.password);
    raw.write('a1 APPEND Nowhere {10}\r\n');
    const answer = await raw.until((t) => /a1 (OK|NO|BAD)/.test(t));
    assert.doesNotMatch(answer, /^\+/m);
    assert.match(answer, /^a1 NO \[TRYCREATE\]/m);
    assert.match(await raw.command('a2', 'NOOP'), /^a2 OK/m);
    raw.close();
  } finally {
    await fx.close();
  }
});

test('a client that disconnects in the middle of an APPEND literal leaves no message', async () => {
  const fx = await startFixture();
  try {
    const raw = await loggedIn(fx.port, fx.user, fx.password);
    raw.write('a1 APPEND INBOX {1000}\r\n');
    assert.match(await raw.until((t) => t.includes('\r\n')), /^\+ /);
    raw.write(Buffer.alloc(500, 0x41));
    raw.close();
    await fx.settle(); // the server has finished with that connection
    const check = await loggedIn(fx.port, fx.user, fx.password);
    assert.match(await check.command('a2', 'STATUS INBOX (MESSAGES UIDNEXT)'), /MESSAGES 0 UIDNEXT 1\)/);
    const next = simpleMessage();
    check.write(`a3 APPEND INBOX {${Buffer.byteLength(next)}+}\r\n${next}\r\n`);
    assert.match(await check.until((t) => /a3 (OK|NO|BAD)/.test(t)), /^a3 OK \[APPENDUID \d+ 1\]/m);
    assert.deepEqual(fx.problems, []);
    check.close();
  } finally {
    await fx.close();
  }
});

test('EXPUNGE by another session is held back during STORE and FETCH, sent on UID STORE and NOOP', async () => {
  const fx = await startFixture();
  try {
    const a = await loggedIn(fx.port, fx.user, fx.password);
    const b = await loggedIn(fx.port, fx.user, fx.password);
    for (const s of ['one', 'two', 'three']) {
      const m = simpleMessage({ subject: s });
      await b.command('ap', `APPEND INBOX {${Buffer.byteLength(m)}+}\r\n${m}`);
    }
    await a.command('s', 'SELECT INBOX');
    await b.command('s', 'SELECT INBOX');
    await b.command('b1', 'STORE 1 +FLAGS.SILENT (\\Deleted)');
    assert.match(await b.command('b2', 'EXPUNGE'), /\* 1 EXPUNGE\r\n/);

    // A's STORE commits after B's expunge: A catches up, but must not renumber during STORE.
    const store = await a.command('a1', 'STORE 2 +FLAGS (\\Flagged)');
    assert.doesNotMatch(store, /EXPUNGE/);
    // A selected first, so the messages are \Recent for A (RFC 3501 §2.3.2).
    assert.match(store, /\* 2 FETCH \(FLAGS \(\\Flagged \\Recent\)\)/);
    const fetch = await a.command('a2', 'FETCH 1:* (UID)');
    assert.doesNotMatch(fetch, /EXPUNGE/);
    assert.match(fetch, /\* 3 FETCH \(UID 3\)/);
    assert.match(await a.command('a3', 'NOOP'), /\* 1 EXPUNGE\r\n/);
    assert.match(await a.command('a4', 'FETCH 1:* (UID)'), /\* 1 FETCH \(UID 2\)\r\n\* 2 FETCH \(UID 3\)\r\na4 OK/);

    // The UID form may renumber at once.
    await b.command('b3', 'UID STORE 3 +FLAGS.SILENT (\\Deleted)');
    await b.command('b4', 'UID EXPUNGE 3');
    assert.match(await a.command('a5', 'UID STORE 2 +FLAGS (\\Seen)'), /\* 2 EXPUNGE\r\n/);
    a.close();
    b.close();
  } finally {
    await fx.close();
  }
});

test('a non-PEEK body fetch sets \\Seen and reports it; PEEK does not', async () => {
  const fx = await startFixture();
  try {
    const raw = await loggedIn(fx.port, fx.user, fx.password);
    const m = simpleMessage();
    await raw.command('ap', `APPEND INBOX {${Buffer.byteLength(m)}+}\r\n${m}`);
    await raw.command('s', 'SELECT INBOX');
    const peek = await raw.command('a1', 'FETCH 1 (BODY.PEEK[TEXT])');
    assert.doesNotMatch(peek, /\\Seen/);
    const body = await raw.command('a2', 'FETCH 1 (BODY[TEXT])');
    assert.match(body, /BODY\[TEXT\] \{10\}\r\nHi there\r\n FLAGS \(\\Seen \\Recent\)\)/);
    assert.match(await raw.command('a3', 'SEARCH UNSEEN'), /\* SEARCH\r\n/);
    const examine = await raw.command('a4', 'EXAMINE INBOX');
    assert.match(examine, /^a4 OK \[READ-ONLY\]/m);
    assert.match(await raw.command('a5', 'STORE 1 +FLAGS (\\Flagged)'), /^a5 NO /m);
    raw.close();
  } finally {
    await fx.close();
  }
});

test('shutdown says BYE to an idle connection and closes it', async () => {
  const fx = await startFixture();
  try {
    const raw = await loggedIn(fx.port, fx.user, fx.password);
    await fx.settle();
    assert.match(await raw.until((t) => t.includes('BYE')), /^\* BYE /m);
    await raw.waitClosed();
  } finally {
    await fx.close();
  }
});
