// SORT, UID SORT (RFC 5256 §3) with SORT=DISPLAY (RFC 5957) and THREAD / UID THREAD with ORDEREDSUBJECT and
// REFERENCES over real TCP, on a small corpus of replies, forwards, equal subjects, a missing Date: header, an
// encoded subject and a missing Message-ID. UIDs are one ahead of sequence numbers (the first message is expunged),
// so the UID forms are told apart from the plain ones.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, type Fixture } from './fixture.js';
import { RawClient } from './raw-client.js';

interface Mail {
  headers: string[];
  internal: string;
  body?: string;
}

// Sent dates (UTC): 6 is latest; 3 has no Date: header, so its internal date (3 Mar 09:00) is its sent date.
const corpus: Mail[] = [
  {
    headers: ['From: "Zoe Zed" <zoe@example.com>', 'To: bob@example.com', 'Subject: Project plan', 'Date: Mon, 02 Mar 2026 10:00:00 +0000', 'Message-ID: <p1@example.com>'],
    internal: '05-Mar-2026 10:00:00 +0000',
  },
  {
    headers: [
      'From: alice@example.com',
      'To: "Carol" <carol@example.com>',
      'Cc: dave@example.com',
      'Subject: Re: Project plan',
      'Date: Mon, 02 Mar 2026 12:00:00 +0000',
      'Message-ID: <p2@example.com>',
      'In-Reply-To: <p1@example.com>',
      'References: <p1@example.com>',
    ],
    internal: '04-Mar-2026 10:00:00 +0000',
  },
  {
    headers: [
      'From: =?UTF-8?Q?=C3=89mile?= <emile@example.com>',
      'To: amy@example.com',
      'Subject: =?UTF-8?Q?Re=3A_Project_plan?=',
      'Message-ID: <p3@example.com>',
      'References: <p1@example.com>\r\n <"p2"@example.com>',
    ],
    internal: '03-Mar-2026 09:00:00 +0000',
  },
  {
    headers: ['From: bob@example.com', 'Subject: Fwd: Lunch', 'Date: Sun, 01 Mar 2026 08:00:00 -0800', 'Message-ID: <l2@example.com>', 'References: <lunch@example.com>'],
    internal: '01-Mar-2026 00:00:00 +0000',
  },
  {
    headers: ['From: "bob" <bob@example.com>', 'Subject: [team] Lunch (fwd)', 'Date: Sun, 01 Mar 2026 17:00:00 +0000', 'Message-ID: <l3@example.com>', 'In-Reply-To: <lunch@example.com>'],
    internal: '06-Mar-2026 00:00:00 +0000',
  },
  {
    headers: ['From: carol@example.com', 'Subject: Budget', 'Date: Wed, 04 Mar 2026 09:00:00 +0000'],
    internal: '02-Mar-2026 00:00:00 +0000',
    body: 'numbers\r\n'.repeat(200),
  },
  {
    headers: ['From: dave@example.com', 'Subject: budget', 'Date: Tue, 03 Mar 2026 08:00:00 +0000', 'Message-ID: <b2@example.com>'],
    internal: '07-Mar-2026 00:00:00 +0000',
  },
];

const raw = (m: Mail): string => `${m.headers.join('\r\n')}\r\n\r\n${m.body ?? 'hello\r\n'}`;

/** The untagged line of `kind` in an answer, without its CRLF. */
function untagged(answer: string, kind: 'SORT' | 'THREAD'): string {
  const line = answer.split('\r\n').find((l) => l.startsWith(`* ${kind}`));
  assert.ok(line !== undefined, answer);
  return line;
}

describe('SORT and THREAD', () => {
  let f: Fixture;
  let c: RawClient;
  before(async () => {
    f = await startFixture();
    c = await RawClient.connect(f.port);
    assert.match(await c.command('L', `LOGIN "${f.user}" "${f.password}"`), /L OK/);
    assert.match(await c.command('C', 'CREATE Threads'), /C OK/);
    // UID 1 goes at once, so UID = sequence number + 1 for the corpus.
    assert.match(await c.append('A0', 'Threads', 'Subject: filler\r\n\r\nx\r\n', '(\\Deleted)'), /A0 OK/);
    for (const [i, m] of corpus.entries()) assert.match(await c.append(`A${i + 1}`, 'Threads', raw(m), `"${m.internal}"`), /OK/);
    assert.match(await c.command('S', 'SELECT Threads'), /S OK/);
    assert.match(await c.command('E', 'EXPUNGE'), /E OK/);
  });
  after(async () => {
    c.close();
    await f.close();
  });

  const sort = async (args: string, uid = false): Promise<string> => {
    const answer = await c.command('s', `${uid ? 'UID ' : ''}SORT ${args}`);
    assert.match(answer, /^s OK/m, answer);
    return untagged(answer, 'SORT');
  };
  const thread = async (args: string, uid = false): Promise<string> => {
    const answer = await c.command('t', `${uid ? 'UID ' : ''}THREAD ${args}`);
    assert.match(answer, /^t OK/m, answer);
    return untagged(answer, 'THREAD');
  };

  it('advertises SORT, SORT=DISPLAY and both THREAD algorithms', async () => {
    const caps = await c.command('c', 'CAPABILITY');
    for (const cap of ['SORT', 'SORT=DISPLAY', 'THREAD=ORDEREDSUBJECT', 'THREAD=REFERENCES']) {
      assert.match(caps, new RegExp(` ${cap}( |\\r)`), cap);
    }
  });

  it('SORT by base subject, sent date, arrival and size', async () => {
    // Base subjects: Budget (6, 7), Lunch (4, 5: "Fwd:", "[team] … (fwd)"), Project plan (1, 2, 3 encoded "Re:").
    assert.equal(await sort('(SUBJECT) UTF-8 ALL'), '* SORT 6 7 4 5 1 2 3');
    // 4 is 08:00 -0800 = 16:00 UTC, before 5 at 17:00; 3 has no Date: and sorts by its internal date.
    assert.equal(await sort('(DATE) UTF-8 ALL'), '* SORT 4 5 1 2 7 3 6');
    assert.equal(await sort('(ARRIVAL) US-ASCII ALL'), '* SORT 4 6 3 2 1 5 7');
    const sizes = corpus.map((m, i) => ({ seq: i + 1, size: Buffer.byteLength(raw(m)) }));
    const bySize = [...sizes].sort((a, b) => a.size - b.size || a.seq - b.seq).map((s) => s.seq);
    assert.equal(await sort('(SIZE) UTF-8 ALL'), `* SORT ${bySize.join(' ')}`);
    // Only 2 has a Cc: the others ("" collates first) by descending size, then 2.
    const noCc = [...sizes].filter((s) => s.seq !== 2).sort((a, b) => b.size - a.size || a.seq - b.seq).map((s) => s.seq);
    assert.equal(await sort('(CC REVERSE SIZE) UTF-8 ALL'), `* SORT ${[...noCc, 2].join(' ')}`);
  });

  it('SORT by addresses: addr-mailbox for FROM/TO, display name else addr-spec for DISPLAYFROM/DISPLAYTO', async () => {
    assert.equal(await sort('(FROM) UTF-8 ALL'), '* SORT 2 4 5 6 7 3 1');
    // "bob" (5) before "bob@example.com" (4); "Émile" folds to E + combining accent, after "dave@…".
    assert.equal(await sort('(DISPLAYFROM) UTF-8 ALL'), '* SORT 2 5 4 6 7 3 1');
    assert.equal(await sort('(TO) UTF-8 ALL'), '* SORT 4 5 6 7 3 1 2');
    assert.equal(await sort('(DISPLAYTO REVERSE ARRIVAL) UTF-8 ALL'), '* SORT 7 5 6 4 3 1 2');
  });

  it('UID SORT with REVERSE and several keys, and search criteria', async () => {
    assert.equal(await sort('(REVERSE ARRIVAL) UTF-8 ALL', true), '* SORT 8 6 2 3 4 7 5');
    // REVERSE SUBJECT then DATE: Project plan (1 2 3), Lunch (4 5), Budget by date (7 6); as UIDs.
    assert.equal(await sort('(REVERSE SUBJECT DATE) UTF-8 ALL', true), '* SORT 2 3 4 5 6 8 7');
    assert.equal(await sort('(ARRIVAL) UTF-8 SUBJECT plan', true), '* SORT 4 3 2');
    assert.equal(await sort('(DATE) UTF-8 FROM bob'), '* SORT 4 5');
    assert.equal(await sort('(DATE) UTF-8 TEXT "not in mailbox"'), '* SORT');
    // RFC 7162 §3.1.9: a MODSEQ criterion adds the highest MODSEQ to a non-empty SORT answer; THREAD is unchanged.
    assert.match(await sort('(DATE) UTF-8 MODSEQ 1'), /^\* SORT 4 5 1 2 7 3 6 \(MODSEQ \d+\)$/);
    assert.equal(await sort('(DATE) UTF-8 MODSEQ 1 FROM nobody'), '* SORT');
    assert.equal(await thread('ORDEREDSUBJECT UTF-8 MODSEQ 1 FROM bob'), '* THREAD (4 5)');
  });

  it('THREAD ORDEREDSUBJECT', async () => {
    // Threads by the sent date of their first message: Lunch (4), Project plan (1), Budget (7 before 6).
    assert.equal(await thread('ORDEREDSUBJECT UTF-8 ALL'), '* THREAD (4 5)(1 (2)(3))(7 6)');
    assert.equal(await thread('ORDEREDSUBJECT UTF-8 ALL', true), '* THREAD (5 6)(2 (3)(4))(8 7)');
  });

  it('THREAD REFERENCES: ancestry, a dummy for a missing parent, and same-subject threads under a dummy', async () => {
    // 4 and 5 answer <lunch@…>, which is not in the mailbox; 3's References quote <"p2"@…>; 6 has no Message-ID and
    // no references, and shares its subject with 7, neither being a reply.
    assert.equal(await thread('REFERENCES UTF-8 ALL'), '* THREAD ((4)(5))(1 2 3)((7)(6))');
    assert.equal(await thread('REFERENCES UTF-8 ALL', true), '* THREAD ((5)(6))(2 3 4)((8)(7))');
    // Without 1, the dummy for <p1@…> has one child, which is promoted to the top.
    assert.equal(await thread('REFERENCES UTF-8 NOT FROM zoe'), '* THREAD ((4)(5))(2 3)((7)(6))');
    assert.equal(await thread('REFERENCES UTF-8 SUBJECT nothing-matches'), '* THREAD');
  });

  it('answers NO [BADCHARSET] for an unknown charset and BAD for malformed arguments', async () => {
    assert.match(await c.command('b1', 'SORT (DATE) KOI8-R ALL'), /^b1 NO \[BADCHARSET \(("UTF-8"|UTF-8) ("US-ASCII"|US-ASCII)\)\]/m);
    assert.match(await c.command('b2', 'UID THREAD REFERENCES KOI8-R ALL'), /^b2 NO \[BADCHARSET/m);
    for (const [tag, line] of [
      ['b3', 'SORT (BOGUS) UTF-8 ALL'],
      ['b4', 'SORT DATE UTF-8 ALL'],
      ['b5', 'SORT () UTF-8 ALL'],
      ['b6', 'SORT (DATE) UTF-8'],
      ['b7', 'UID SORT (REVERSE) UTF-8 ALL'],
      ['b8', 'THREAD XYZZY UTF-8 ALL'],
      ['b9', 'THREAD REFERENCES UTF-8 NOSUCHKEY'],
    ] as const) {
      const answer = await c.command(tag, line);
      assert.match(answer, new RegExp(`^${tag} BAD`, 'm'), line);
      assert.doesNotMatch(answer, /^\* (SORT|THREAD)/m, line);
    }
    const other = await RawClient.connect(f.port);
    assert.match(await other.command('L', `LOGIN "${f.user}" "${f.password}"`), /L OK/);
    assert.match(await other.command('n1', 'SORT (DATE) UTF-8 ALL'), /^n1 BAD/m, 'SORT needs a selected mailbox');
    other.close();
  });
});
