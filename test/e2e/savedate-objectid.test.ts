// WITHIN (RFC 5032), SAVEDATE (RFC 8514), OBJECTID (RFC 8474) and PREVIEW (RFC 8970) over real TCP on a rev1
// session, with exact answers where the server decides the bytes. Ids are read from the server once and then
// required to be the same wherever the RFCs say they must be.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startFixture, type Fixture } from './fixture.js';
import { RawClient } from './raw-client.js';

const A = 'From: a@example.org\r\nMessage-ID: <a@x>\r\nSubject: A\r\n\r\nHello   world\r\n\r\n  second line\r\n';
const B =
  'From: b@example.org\r\nMessage-ID: <b@x>\r\nReferences: <a@x>\r\nIn-Reply-To: <a@x>\r\nSubject: Re: A\r\n' +
  'MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Hi <b>there</b> &amp; bye</p>\r\n';
const C =
  'From: c@example.org\r\nSubject: no ids\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="z"\r\n\r\n' +
  '--z\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nCaf=C3=A9 au lait\r\n' +
  '--z\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\nAAEC\r\n--z--\r\n';

const thread = (root: string): string => `T${createHash('sha256').update(root).digest('hex').slice(0, 24)}`;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const searchDay = (ms: number): string => {
  const d = new Date(ms);
  return `${d.getUTCDate()}-${MONTHS[d.getUTCMonth()]}-${d.getUTCFullYear()}`;
};
/** `"26-Nov-2026 21:28:57 +0000"` → ms. */
const parseDateTime = (s: string): number => Date.parse(s.replace(/^(\d+)-(\w+)-(\d+) /, '$2 $1 $3 ').replace(' +0000', ' GMT'));

function savedDates(fetched: string): number[] {
  return [...fetched.matchAll(/SAVEDATE "([^"]+)"/g)].map((m) => parseDateTime(m[1]!));
}

describe('WITHIN, SAVEDATE, OBJECTID, PREVIEW', () => {
  let f: Fixture;
  let c: RawClient;
  let started: number;
  let appended: number;
  const emailIds: string[] = [];
  before(async () => {
    f = await startFixture();
    c = await RawClient.connect(f.port);
    assert.match(await c.command('L', `LOGIN "${f.user}" "${f.password}"`), /L OK/);
    started = Math.floor(Date.now() / 1000) * 1000;
    assert.match(await c.append('A1', 'INBOX', A, '"01-Jan-2020 00:00:00 +0000"'), /A1 OK/);
    assert.match(await c.append('A2', 'INBOX', B), /A2 OK/);
    assert.match(await c.append('A3', 'INBOX', C), /A3 OK/);
    appended = Date.now();
    assert.match(await c.command('S', 'SELECT INBOX'), /S OK/);
    const ids = await c.command('E', 'FETCH 1:3 (EMAILID)');
    for (const m of ids.matchAll(/EMAILID \((M[0-9A-Z]{26})\)/g)) emailIds.push(m[1]!);
    assert.equal(emailIds.length, 3, ids);
  });
  after(async () => {
    c.close();
    await f.close();
  });

  it('advertises WITHIN, SAVEDATE, OBJECTID and PREVIEW', async () => {
    const caps = await c.command('c1', 'CAPABILITY');
    for (const cap of ['WITHIN', 'SAVEDATE', 'OBJECTID', 'PREVIEW']) assert.match(caps, new RegExp(`^\\* CAPABILITY [^\\r]* ${cap}[ \\r]`, 'm'));
  });

  it('EMAILIDs are distinct per message; THREADID is the References root, NIL-free, a lone message gets its own (RFC 8474 §5)', async () => {
    assert.equal(new Set(emailIds).size, 3);
    const lone = `S${emailIds[2]!.slice(1)}`;
    assert.equal(
      await c.command('f1', 'FETCH 1:3 (EMAILID THREADID)'),
      `* 1 FETCH (EMAILID (${emailIds[0]}) THREADID (${thread('<a@x>')}))\r\n` +
        `* 2 FETCH (EMAILID (${emailIds[1]}) THREADID (${thread('<a@x>')}))\r\n` +
        `* 3 FETCH (EMAILID (${emailIds[2]}) THREADID (${lone}))\r\n` +
        'f1 OK FETCH completed\r\n',
    );
  });

  it('SEARCH EMAILID and THREADID match exactly (RFC 8474 §6)', async () => {
    assert.equal(await c.command('s1', `SEARCH EMAILID ${emailIds[1]}`), '* SEARCH 2\r\ns1 OK SEARCH completed\r\n');
    assert.equal(await c.command('s2', `UID SEARCH THREADID ${thread('<a@x>')}`), '* SEARCH 1 2\r\ns2 OK UID SEARCH completed\r\n');
    assert.equal(await c.command('s3', `SEARCH THREADID ${thread('<a@x>').toLowerCase()}`), '* SEARCH\r\ns3 OK SEARCH completed\r\n');
    assert.equal(await c.command('s4', `SEARCH OR EMAILID ${emailIds[0]} EMAILID ${emailIds[2]}`), '* SEARCH 1 3\r\ns4 OK SEARCH completed\r\n');
  });

  it('PREVIEW: the decoded text, whitespace collapsed, HTML stripped; LAZY gives the same (RFC 8970)', async () => {
    assert.equal(
      await c.command('p1', 'FETCH 1:3 (PREVIEW)'),
      '* 1 FETCH (PREVIEW "Hello world second line")\r\n' +
        '* 2 FETCH (PREVIEW "Hi there & bye")\r\n' +
        '* 3 FETCH (PREVIEW {13}\r\nCaf\xc3\xa9 au lait)\r\n' +
        'p1 OK FETCH completed\r\n',
    );
    assert.equal(await c.command('p2', 'UID FETCH 2 PREVIEW (LAZY)'), '* 2 FETCH (UID 2 PREVIEW "Hi there & bye")\r\np2 OK UID FETCH completed\r\n');
    assert.equal(await c.command('p3', 'FETCH 1 (FLAGS)'), '* 1 FETCH (FLAGS (\\Recent))\r\np3 OK FETCH completed\r\n'); // no \Seen
  });

  it('SAVEDATE is when the message was stored, not the APPEND date-time (RFC 8514 §3)', async () => {
    const got = await c.command('d1', 'FETCH 1:3 (SAVEDATE INTERNALDATE)');
    assert.match(got, /^\* 1 FETCH \(SAVEDATE "[^"]+" INTERNALDATE "01-Jan-2020 00:00:00 \+0000"\)\r\n/);
    const saved = savedDates(got);
    assert.equal(saved.length, 3);
    for (const s of saved) assert.ok(s >= started && s <= appended, `${new Date(s).toISOString()} within the APPENDs`);
  });

  it('SEARCH SAVEDBEFORE/SAVEDON/SAVEDSINCE use the save date, SAVEDATESUPPORTED matches all (RFC 8514 §4.3)', async () => {
    const today = searchDay(appended);
    assert.equal(await c.command('s5', 'SEARCH BEFORE 1-Jan-2021'), '* SEARCH 1\r\ns5 OK SEARCH completed\r\n');
    assert.equal(await c.command('s6', 'SEARCH SAVEDBEFORE 1-Jan-2021'), '* SEARCH\r\ns6 OK SEARCH completed\r\n');
    assert.equal(await c.command('s7', `SEARCH SAVEDON ${today}`), '* SEARCH 1 2 3\r\ns7 OK SEARCH completed\r\n');
    assert.equal(await c.command('s8', `SEARCH SAVEDSINCE ${today} ON ${today}`), '* SEARCH 2 3\r\ns8 OK SEARCH completed\r\n');
    assert.equal(await c.command('s9', 'SEARCH SAVEDATESUPPORTED'), '* SEARCH 1 2 3\r\ns9 OK SEARCH completed\r\n');
  });

  it('SEARCH OLDER / YOUNGER against the internal date (RFC 5032)', async () => {
    assert.equal(await c.command('w1', 'SEARCH OLDER 86400'), '* SEARCH 1\r\nw1 OK SEARCH completed\r\n');
    assert.equal(await c.command('w2', 'SEARCH YOUNGER 86400'), '* SEARCH 2 3\r\nw2 OK SEARCH completed\r\n');
    assert.equal(await c.command('w3', 'SEARCH RETURN (COUNT) OLDER 86400 YOUNGER 86400'), '* ESEARCH (TAG "w3") COUNT 0\r\nw3 OK SEARCH completed\r\n');
  });

  it('the same items on an IMAP4rev2 session (RFC 9051: SEARCH answers ESEARCH)', async () => {
    const r = await RawClient.connect(f.port);
    try {
      assert.match(await r.command('r1', `LOGIN "${f.user}" "${f.password}"`), /r1 OK/);
      assert.equal(await r.command('r2', 'ENABLE IMAP4rev2'), '* ENABLED IMAP4rev2\r\nr2 OK ENABLE completed\r\n');
      assert.match(await r.command('r3', 'EXAMINE INBOX'), /^\* OK \[MAILBOXID \(F[0-9A-Z]{26}\)\] /m);
      assert.equal(
        await r.command('r4', 'FETCH 2 (EMAILID THREADID PREVIEW)'),
        `* 2 FETCH (EMAILID (${emailIds[1]}) THREADID (${thread('<a@x>')}) PREVIEW "Hi there & bye")\r\nr4 OK FETCH completed\r\n`,
      );
      assert.equal(
        await r.command('r5', `SEARCH THREADID ${thread('<a@x>')} YOUNGER 86400 SAVEDATESUPPORTED`),
        '* ESEARCH (TAG "r5") ALL 2\r\nr5 OK SEARCH completed\r\n',
      );
    } finally {
      r.close();
    }
  });

  it('CREATE answers [MAILBOXID (…)], the same id as STATUS, SELECT and LIST-STATUS; RENAME keeps it (RFC 8474 §4)', async () => {
    const created = await c.command('m1', 'CREATE Projects');
    const id = /^m1 OK \[MAILBOXID \((F[0-9A-Z]{26})\)\] CREATE completed\r\n$/.exec(created)?.[1];
    assert.ok(id, created);
    assert.equal(await c.command('m2', 'STATUS Projects (MAILBOXID MESSAGES)'), `* STATUS "Projects" (MAILBOXID (${id}) MESSAGES 0)\r\nm2 OK STATUS completed\r\n`);
    assert.match(await c.command('m3', 'RENAME Projects Work'), /^m3 OK/m);
    assert.equal(await c.command('m4', 'STATUS Work (MAILBOXID)'), `* STATUS "Work" (MAILBOXID (${id}))\r\nm4 OK STATUS completed\r\n`);
    assert.match(await c.command('m5', 'LIST "" Work RETURN (STATUS (MAILBOXID))'), new RegExp(`^\\* STATUS "Work" \\(MAILBOXID \\(${id}\\)\\)\\r$`, 'm'));
    const other = /MAILBOXID \((F[0-9A-Z]{26})\)/.exec(await c.command('m6', 'CREATE Other'))?.[1];
    assert.ok(other && other !== id);
    const examined = await c.command('m7', 'EXAMINE Work');
    assert.match(examined, new RegExp(`^\\* OK \\[MAILBOXID \\(${id}\\)\\] `, 'm'));
    assert.match(await c.command('m8', 'SELECT INBOX'), /^m8 OK/m);
  });

  it('COPY and MOVE keep EMAILID and THREADID, and give the new message a new save date (RFC 8474 §5.1, RFC 8514 §3)', async () => {
    const source = savedDates(await c.command('d2', 'FETCH 1:2 (SAVEDATE)'));
    // The wire shows seconds: let the clock pass into the next second so a copied save date would be told apart.
    await new Promise((resolve) => setTimeout(resolve, 1001 - (Date.now() % 1000)));
    assert.match(await c.command('k1', 'COPY 1 Work'), /^k1 OK \[COPYUID \d+ 1 1\]/m);
    assert.match(await c.command('k2', 'MOVE 2 Work'), /^k2 OK/m);
    // The source keeps its save date.
    assert.deepEqual(savedDates(await c.command('k3', 'FETCH 1 (SAVEDATE)')), [source[0]]);
    assert.match(await c.command('k4', 'SELECT Work'), /^k4 OK/m);
    const moved = await c.command('k5', 'FETCH 1:2 (EMAILID THREADID SAVEDATE)');
    assert.match(moved, new RegExp(`^\\* 1 FETCH \\(EMAILID \\(${emailIds[0]}\\) THREADID \\(${thread('<a@x>')}\\) SAVEDATE "[^"]+"\\)\\r$`, 'm'));
    assert.match(moved, new RegExp(`^\\* 2 FETCH \\(EMAILID \\(${emailIds[1]}\\) THREADID \\(${thread('<a@x>')}\\) SAVEDATE "[^"]+"\\)\\r$`, 'm'));
    const [copied, movedSaved] = savedDates(moved);
    assert.ok(copied! > source[0]! && movedSaved! > source[1]!, 'the destination has its own, later save date');
    assert.equal(await c.command('k6', `SEARCH EMAILID ${emailIds[1]}`), '* SEARCH 2\r\nk6 OK SEARCH completed\r\n');
  });
});
