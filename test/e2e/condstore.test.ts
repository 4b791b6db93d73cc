// CONDSTORE and QRESYNC (RFC 7162) on the real server over raw TCP: exact wire text for MODSEQ, UNCHANGEDSINCE /
// MODIFIED, CHANGEDSINCE, SEARCH MODSEQ, STATUS HIGHESTMODSEQ, VANISHED, and a QRESYNC client that was offline
// catching up exactly (compared with a full re-download).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ImapFlow } from 'imapflow';
import { startFixture } from './fixture.js';
import type { Fixture } from './fixture.js';
import { RawClient } from './raw-client.js';
import { simpleMessage } from './sample-messages.js';

async function loggedIn(fx: Fixture): Promise<RawClient> {
  const raw = await RawClient.connect(fx.port);
  assert.match(await raw.command('L', `LOGIN ${fx.user} "${fx.password}"`), /^L OK/m);
  return raw;
}

/** A second, library client (imapflow) on the plain loopback port; no STARTTLS needed there. */
async function connect(fx: Fixture): Promise<ImapFlow> {
  const client = new ImapFlow({
    host: '127.0.0.1',
    port: fx.port,
    secure: false,
    doSTARTTLS: false,
    logger: false,
    auth: { user: fx.user, pass: fx.password },
    disableAutoIdle: true,
  });
  await client.connect();
  return client;
}

async function seed(fx: Fixture, n: number): Promise<void> {
  const client = await connect(fx);
  for (let i = 1; i <= n; i++) await client.append('INBOX', simpleMessage({ subject: `m${i}`, body: `body ${i}` }));
  await client.logout();
}

function num(text: string, re: RegExp): number {
  const m = re.exec(text);
  assert.ok(m, `${re} not in ${JSON.stringify(text)}`);
  return Number(m[1]);
}

/**
 * uid → "flags|modseq" from `* n FETCH (UID u FLAGS (…) MODSEQ (m))` lines. \Recent is left out: it belongs to the
 * session that first selected (RFC 3501 §2.3.2), not to the mailbox state a resync must reproduce.
 */
function fetchedState(text: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const m of text.matchAll(/^\* \d+ FETCH \(UID (\d+) FLAGS \(([^)]*)\) MODSEQ \((\d+)\)\)\r$/gm)) {
    const flags = m[2]!.split(' ').filter((f) => f !== '\\Recent').join(' ');
    out.set(Number(m[1]), `${flags}|${m[3]}`);
  }
  return out;
}

test('CONDSTORE: MODSEQ, UNCHANGEDSINCE with MODIFIED, CHANGEDSINCE, SEARCH MODSEQ, STATUS, unsolicited MODSEQ', async () => {
  const fx = await startFixture();
  try {
    await seed(fx, 3);
    const raw = await loggedIn(fx);
    assert.match((await raw.command('c0', 'CAPABILITY')).split('\r\n')[0]!, / CONDSTORE QRESYNC /);
    // The first SELECT: the seeded messages are \Recent in this session (RFC 3501 §2.3.2).
    const selected = await raw.command('c1', 'SELECT INBOX (CONDSTORE)');
    const h = num(selected, /^\* OK \[HIGHESTMODSEQ (\d+)\]/m);
    const uv = num(selected, /UIDVALIDITY (\d+)/);
    assert.ok(uv > 0);
    const modseqs = [...(await raw.command('c2', 'FETCH 1:* (UID MODSEQ)')).matchAll(/^\* (\d) FETCH \(UID (\d+) MODSEQ \((\d+)\)\)\r$/gm)];
    assert.equal(modseqs.length, 3);
    const uids = modseqs.map((m) => Number(m[2]));
    const m2 = Number(modseqs[1]![3]);
    assert.equal(Number(modseqs[2]![3]), h, 'the last append carries HIGHESTMODSEQ');

    // §3.1.3 example 5: .SILENT with UNCHANGEDSINCE still answers with the new MODSEQ.
    assert.equal(await raw.command('c3', `STORE 1 (UNCHANGEDSINCE ${h}) +FLAGS.SILENT (\\Flagged)`), `* 1 FETCH (MODSEQ (${h + 1}))\r\nc3 OK STORE completed\r\n`);
    // Message 1 now has MODSEQ h+1 > m2: it fails the test and is named in MODIFIED; message 2 passes.
    assert.equal(
      await raw.command('c4', `STORE 1:2 (UNCHANGEDSINCE ${m2}) +FLAGS (\\Seen)`),
      `* 2 FETCH (FLAGS (\\Seen \\Recent) MODSEQ (${h + 2}))\r\nc4 OK [MODIFIED 1] Conditional STORE failed for some messages\r\n`,
    );
    assert.equal(
      await raw.command('c5', `UID STORE ${uids[0]} (UNCHANGEDSINCE 1) -FLAGS (\\Flagged)`),
      `c5 OK [MODIFIED ${uids[0]}] Conditional UID STORE failed for some messages\r\n`,
    );
    // §3.1.4.1: only messages changed since, with MODSEQ added.
    assert.equal(
      await raw.command('c6', `UID FETCH 1:* (FLAGS) (CHANGEDSINCE ${h})`),
      `* 1 FETCH (UID ${uids[0]} FLAGS (\\Flagged \\Recent) MODSEQ (${h + 1}))\r\n` +
        `* 2 FETCH (UID ${uids[1]} FLAGS (\\Seen \\Recent) MODSEQ (${h + 2}))\r\nc6 OK UID FETCH completed\r\n`,
    );
    // §3.1.5: the highest MODSEQ of the messages found.
    assert.equal(await raw.command('c7', `SEARCH MODSEQ ${h + 1}`), `* SEARCH 1 2 (MODSEQ ${h + 2})\r\nc7 OK SEARCH completed\r\n`);
    assert.equal(
      await raw.command('c8', `UID SEARCH RETURN (MIN COUNT) MODSEQ ${h + 2}`),
      `* ESEARCH (TAG "c8") UID MIN ${uids[1]} COUNT 1 MODSEQ ${h + 2}\r\nc8 OK UID SEARCH completed\r\n`,
    );
    assert.equal(await raw.command('c9', 'SEARCH MODSEQ 999999'), `* SEARCH\r\nc9 OK SEARCH completed\r\n`);
    assert.equal(await raw.command('c10', 'STATUS INBOX (HIGHESTMODSEQ MESSAGES)'), `* STATUS "INBOX" (HIGHESTMODSEQ ${h + 2} MESSAGES 3)\r\nc10 OK STATUS completed\r\n`);

    // Another session's flag change reaches this one with its MODSEQ (§3.1.4.1: unsolicited FETCH carries MODSEQ).
    const other = await connect(fx);
    await other.mailboxOpen('INBOX');
    await other.messageFlagsAdd(String(uids[2]), ['\\Answered'], { uid: true });
    await other.logout();
    assert.equal(await raw.command('c11', 'NOOP'), `* 3 FETCH (UID ${uids[2]} FLAGS (\\Answered \\Recent) MODSEQ (${h + 3}))\r\nc11 OK NOOP completed\r\n`);
    raw.close();
    assert.deepEqual(fx.problems, []);
  } finally {
    await fx.close();
  }
});

test('QRESYNC: an offline client catches up exactly (same state as a full re-download)', async () => {
  const fx = await startFixture();
  try {
    await seed(fx, 6);
    // Online: the client's cache is a full download.
    let raw = await loggedIn(fx);
    // §3.2.5 / §3.2.6: without ENABLE QRESYNC the parameters are a BAD.
    assert.match(await raw.command('q0', 'SELECT INBOX (QRESYNC (1 1))'), /^q0 BAD /m);
    assert.equal(await raw.command('q1', 'ENABLE QRESYNC'), '* ENABLED QRESYNC\r\nq1 OK ENABLE completed\r\n');
    const sel = await raw.command('q2', 'SELECT INBOX');
    const uv = num(sel, /UIDVALIDITY (\d+)/);
    const known = num(sel, /HIGHESTMODSEQ (\d+)/);
    const cache = fetchedState(await raw.command('q3', 'UID FETCH 1:* (FLAGS MODSEQ)'));
    assert.equal(cache.size, 6);
    const uids = [...cache.keys()];
    await raw.command('q4', 'LOGOUT');
    raw.close();

    // Offline: another client changes flags, expunges two messages and delivers two new ones.
    const other = await connect(fx);
    await other.mailboxOpen('INBOX');
    await other.messageFlagsAdd(`${uids[1]},${uids[4]}`, ['\\Flagged'], { uid: true });
    await other.messageFlagsAdd(`${uids[2]},${uids[3]}`, ['\\Deleted'], { uid: true });
    await other.messageDelete(`${uids[2]},${uids[3]}`, { uid: true });
    await other.append('INBOX', simpleMessage({ subject: 'new 1' }));
    await other.append('INBOX', simpleMessage({ subject: 'new 2' }));
    await other.messageFlagsAdd(String(uids[0]), ['$Label'], { uid: true });
    await other.logout();

    // Back online: one SELECT brings the cache up to date (§3.2.5).
    raw = await loggedIn(fx);
    await raw.command('r1', 'ENABLE QRESYNC');
    const resync = await raw.command('r2', `SELECT INBOX (QRESYNC (${uv} ${known}))`);
    const vanished = /^\* VANISHED \(EARLIER\) (\S+)\r$/m.exec(resync);
    assert.ok(vanished, resync);
    assert.equal(vanished[1], `${uids[2]}:${uids[3]}`);
    // VANISHED (EARLIER) comes before the FETCH responses, which come before the tagged OK.
    assert.ok(resync.indexOf('VANISHED') < resync.indexOf(' FETCH '));
    for (const uid of vanished[1]!.split(':').map(Number)) cache.delete(uid);
    const changed = fetchedState(resync);
    assert.deepEqual([...changed.keys()].sort((a, b) => a - b), [uids[0]!, uids[1]!, uids[4]!, ...[...changed.keys()].filter((u) => u > uids[5]!)].sort((a, b) => a - b));
    assert.equal([...changed.keys()].filter((u) => u > uids[5]!).length, 2, 'the two new messages are reported');
    for (const [uid, value] of changed) cache.set(uid, value);

    // The same answer through UID FETCH (CHANGEDSINCE … VANISHED) (§3.2.6).
    const viaFetch = await raw.command('r3', `UID FETCH 1:* (FLAGS) (CHANGEDSINCE ${known} VANISHED)`);
    assert.match(viaFetch, new RegExp(`^\\* VANISHED \\(EARLIER\\) ${uids[2]}:${uids[3]}\\r$`, 'm'));
    assert.deepEqual(fetchedState(viaFetch), changed);
    // known-uids limits both parts (§3.2.5.1): only UIDs 1..uids[1].
    await raw.command('r4', 'UNSELECT');
    const limited = await raw.command('r5', `SELECT INBOX (QRESYNC (${uv} ${known} ${uids[0]}:${uids[1]}))`);
    assert.doesNotMatch(limited, /VANISHED/);
    assert.deepEqual([...fetchedState(limited).keys()], [uids[0], uids[1]]);
    // A UIDVALIDITY mismatch: the parameters are ignored (§3.2.5).
    await raw.command('r6', 'UNSELECT');
    assert.doesNotMatch(await raw.command('r7', `SELECT INBOX (QRESYNC (${uv + 1} ${known}))`), /VANISHED| FETCH /);
    raw.close();

    // The cache now equals a full re-download.
    const fresh = await loggedIn(fx);
    await fresh.command('f1', 'SELECT INBOX');
    const full = fetchedState(await fresh.command('f2', 'UID FETCH 1:* (FLAGS MODSEQ)'));
    assert.deepEqual(new Map([...cache].sort((a, b) => a[0] - b[0])), full);
    fresh.close();
    assert.deepEqual(fx.problems, []);
  } finally {
    await fx.close();
  }
});

test('QRESYNC: VANISHED replaces EXPUNGE (own and others\' expunges), CLOSED on reselect, VANISHED needs ENABLE', async () => {
  const fx = await startFixture();
  try {
    await seed(fx, 3);
    const plain = await loggedIn(fx);
    await plain.command('p1', 'SELECT INBOX');
    assert.match(await plain.command('p2', 'UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)'), /^p2 BAD /m);
    plain.close();

    const raw = await loggedIn(fx);
    await raw.command('v1', 'ENABLE QRESYNC');
    await raw.command('v2', 'SELECT INBOX');
    const uids = [...(await raw.command('v3', 'UID SEARCH ALL')).matchAll(/ (\d+)/g)].map((m) => Number(m[1]));
    // §3.2.11: CLOSED separates the old mailbox's responses from the new one's.
    assert.match(await raw.command('v4', 'EXAMINE INBOX'), /^\* OK \[CLOSED\] /);
    await raw.command('v5', 'SELECT INBOX');
    // Own expunge: `* VANISHED uid` and HIGHESTMODSEQ on the tagged OK (§3.2.7, §3.2.10).
    const stored = await raw.command('v6', `UID STORE ${uids[0]} +FLAGS.SILENT (\\Deleted)`);
    assert.equal(stored, 'v6 OK UID STORE completed\r\n');
    const expunged = await raw.command('v7', 'EXPUNGE');
    const h = num(expunged, /HIGHESTMODSEQ (\d+)/);
    assert.equal(expunged, `* VANISHED ${uids[0]}\r\nv7 OK [HIGHESTMODSEQ ${h}] EXPUNGE completed\r\n`);
    // Another session's expunge is announced as VANISHED too.
    const other = await connect(fx);
    await other.mailboxOpen('INBOX');
    await other.messageDelete(String(uids[2]), { uid: true });
    await other.logout();
    assert.equal(await raw.command('v8', 'NOOP'), `* VANISHED ${uids[2]}\r\nv8 OK NOOP completed\r\n`);
    raw.close();
    assert.deepEqual(fx.problems, []);
  } finally {
    await fx.close();
  }
});

test('SEARCH RETURN: ESEARCH MIN MAX ALL COUNT, SAVE and `$` (RFC 4731, RFC 5182)', async () => {
  const fx = await startFixture();
  try {
    await seed(fx, 5);
    const raw = await loggedIn(fx);
    await raw.command('s1', 'SELECT INBOX');
    const uids = [...(await raw.command('s2', 'UID SEARCH ALL')).matchAll(/ (\d+)/g)].map((m) => Number(m[1]));
    await raw.command('s3', 'STORE 2,4,5 +FLAGS.SILENT (\\Flagged)');
    assert.equal(await raw.command('s4', 'SEARCH RETURN (MIN MAX COUNT ALL) FLAGGED'), '* ESEARCH (TAG "s4") MIN 2 MAX 5 ALL 2,4:5 COUNT 3\r\ns4 OK SEARCH completed\r\n');
    assert.equal(await raw.command('s5', 'SEARCH RETURN () FLAGGED'), '* ESEARCH (TAG "s5") ALL 2,4:5\r\ns5 OK SEARCH completed\r\n');
    // RFC 4731 §3.1: no matches: no MIN/MAX/ALL, COUNT 0.
    assert.equal(await raw.command('s6', 'UID SEARCH RETURN (MIN ALL COUNT) DELETED'), '* ESEARCH (TAG "s6") UID COUNT 0\r\ns6 OK UID SEARCH completed\r\n');
    // RFC 5182 §2.1: SAVE alone sends no ESEARCH; `$` is then usable in FETCH, SEARCH and UID forms alike.
    assert.equal(await raw.command('s7', 'SEARCH RETURN (SAVE) FLAGGED'), 's7 OK SEARCH completed\r\n');
    assert.equal(
      await raw.command('s8', 'FETCH $ (UID)'),
      `* 2 FETCH (UID ${uids[1]})\r\n* 4 FETCH (UID ${uids[3]})\r\n* 5 FETCH (UID ${uids[4]})\r\ns8 OK FETCH completed\r\n`,
    );
    assert.equal(await raw.command('s9', 'SEARCH $ NOT 4'), '* SEARCH 2 5\r\ns9 OK SEARCH completed\r\n');
    assert.equal(await raw.command('s10', 'UID SEARCH UID $'), `* SEARCH ${uids[1]} ${uids[3]} ${uids[4]}\r\ns10 OK UID SEARCH completed\r\n`);
    // With MIN/MAX only, only those are saved.
    await raw.command('s11', 'SEARCH RETURN (SAVE MIN) FLAGGED');
    assert.equal(await raw.command('s12', 'SEARCH $'), '* SEARCH 2\r\ns12 OK SEARCH completed\r\n');
    // A failed SEARCH … SAVE empties `$`.
    assert.match(await raw.command('s13', 'SEARCH RETURN (SAVE) CHARSET KOI8-R TEXT x'), /^s13 NO \[BADCHARSET/m);
    assert.equal(await raw.command('s14', 'SEARCH $'), '* SEARCH\r\ns14 OK SEARCH completed\r\n');
    raw.close();
    assert.deepEqual(fx.problems, []);
  } finally {
    await fx.close();
  }
});
