// \Recent in IMAP4rev1 sessions (RFC 3501 §2.3.2): "this session is the first session to have been notified about
// this message; if the session is read-write, subsequent sessions will not see \Recent set for this message".
// Exact wire answers over TCP: several sessions of one process, IDLE, EXAMINE, a rev2 session (which has no
// \Recent, RFC 9051 Appendix E item 12), and two `stratus serve` processes on one SQLite data directory.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFixture, type Fixture } from './fixture.js';
import { RawClient } from './raw-client.js';
import { loadConfig } from '../../src/config.js';
import { openStore } from '../../src/server/store.js';
import { addUser } from '../../src/mailstore/directory.js';
import { startServe, type ServeProcess } from './serve-process.js';
import { within } from './two-frontends.js';
import { CallMeter } from '../../src/storage/metered.js';

const message = (n: number): string => `Subject: recent ${n}\r\n\r\nbody ${n}\r\n`;

async function login(port: number, user: string, password: string): Promise<RawClient> {
  const c = await RawClient.connect(port);
  assert.match(await c.command('L', `LOGIN "${user}" "${password}"`), /^L OK/m);
  return c;
}

async function append(c: RawClient, tag: string, n: number, mailbox = 'INBOX'): Promise<void> {
  const m = message(n);
  assert.match(await c.command(tag, `APPEND ${mailbox} {${Buffer.byteLength(m)}+}\r\n${m}`), new RegExp(`^${tag} OK`, 'm'));
}

/** SEARCH RECENT on each session: exactly one of them finds `seq`. */
async function exactlyOneSeesRecent(sessions: readonly RawClient[], seq: number): Promise<void> {
  const answers = await Promise.all(sessions.map((c, i) => c.command(`r${i}`, 'SEARCH RECENT')));
  const has = answers.filter((t) => new RegExp(`^\\* SEARCH( \\d+)* ${seq}( \\d+)*\r$`, 'm').test(t));
  assert.equal(has.length, 1, answers.join('\n'));
}

/** The count of `* n RECENT` in an answer (null when there is none). */
function recentIn(answer: string): number | null {
  const m = /^\* (\d+) RECENT\r$/m.exec(answer);
  return m ? Number(m[1]) : null;
}

describe('\\Recent: exactly one session sees a new message as recent (RFC 3501 §2.3.2)', () => {
  let f: Fixture;
  let writer: RawClient;
  const sessions: RawClient[] = [];
  const session = async (): Promise<RawClient> => {
    const c = await login(f.port, f.user, f.password);
    sessions.push(c);
    return c;
  };
  before(async () => {
    f = await startFixture();
    writer = await session();
    await append(writer, 'w1', 1);
    await append(writer, 'w2', 2);
  });
  after(async () => {
    for (const c of sessions) c.close();
    await f.close();
  });

  it('the first SELECT gets RECENT, \\Recent in FETCH FLAGS, and SEARCH RECENT / NEW / OLD; a second SELECT gets none', async () => {
    const a = await session();
    const selected = await a.command('a1', 'SELECT INBOX');
    assert.match(selected, /^\* 2 EXISTS\r\n\* 2 RECENT\r\n/m);
    assert.equal(
      await a.command('a2', 'FETCH 1:* (FLAGS)'),
      '* 1 FETCH (FLAGS (\\Recent))\r\n* 2 FETCH (FLAGS (\\Recent))\r\na2 OK FETCH completed\r\n',
    );
    assert.match(await a.command('a3', 'STORE 1 +FLAGS.SILENT (\\Seen \\Recent)'), /^a3 OK/m);
    assert.equal(await a.command('a4', 'SEARCH RECENT'), '* SEARCH 1 2\r\na4 OK SEARCH completed\r\n');
    // NEW = RECENT UNSEEN, OLD = NOT RECENT (§6.4.4).
    assert.equal(await a.command('a5', 'SEARCH NEW'), '* SEARCH 2\r\na5 OK SEARCH completed\r\n');
    assert.equal(await a.command('a6', 'SEARCH OLD'), '* SEARCH\r\na6 OK SEARCH completed\r\n');
    // §2.3.2: \Recent cannot be set or cleared by a client; the STORE above changed \Seen only.
    assert.equal(await a.command('a7', 'FETCH 1 (FLAGS)'), '* 1 FETCH (FLAGS (\\Seen \\Recent))\r\na7 OK FETCH completed\r\n');
    assert.equal(await a.command('a8', 'STATUS INBOX (RECENT)'), '* STATUS "INBOX" (RECENT 2)\r\na8 OK STATUS completed\r\n');

    const b = await session();
    assert.equal(recentIn(await b.command('b1', 'SELECT INBOX')), 0);
    assert.equal(await b.command('b2', 'FETCH 1:* (FLAGS)'), '* 1 FETCH (FLAGS (\\Seen))\r\n* 2 FETCH (FLAGS ())\r\nb2 OK FETCH completed\r\n');
    assert.equal(await b.command('b3', 'SEARCH RECENT'), '* SEARCH\r\nb3 OK SEARCH completed\r\n');
    assert.equal(await b.command('b4', 'SEARCH OLD'), '* SEARCH 1 2\r\nb4 OK SEARCH completed\r\n');
    await a.command('a9', 'UNSELECT');
    await b.command('b5', 'UNSELECT');
  });

  it('a message that arrives while two sessions have the mailbox selected is recent for the one told first only', async () => {
    const a = await session();
    const b = await session();
    assert.equal(recentIn(await a.command('a1', 'SELECT INBOX')), 0);
    assert.equal(recentIn(await b.command('b1', 'SELECT INBOX')), 0);
    await append(writer, 'w4', 3);
    assert.equal(await a.command('a2', 'NOOP'), '* 3 EXISTS\r\n* 1 RECENT\r\na2 OK NOOP completed\r\n');
    assert.equal(await b.command('b2', 'NOOP'), '* 3 EXISTS\r\n* 0 RECENT\r\nb2 OK NOOP completed\r\n');
    assert.equal(await a.command('a3', 'FETCH 3 (FLAGS)'), '* 3 FETCH (FLAGS (\\Recent))\r\na3 OK FETCH completed\r\n');
    assert.equal(await b.command('b3', 'FETCH 3 (FLAGS)'), '* 3 FETCH (FLAGS ())\r\nb3 OK FETCH completed\r\n');

    // Both told at once: still exactly one of them sees it as recent.
    await append(writer, 'w5', 4);
    const [ra, rb] = await Promise.all([a.command('a4', 'NOOP'), b.command('b4', 'NOOP')]);
    assert.ok(ra.startsWith('* 4 EXISTS\r\n') && rb.startsWith('* 4 EXISTS\r\n'), `${ra}\n${rb}`);
    await exactlyOneSeesRecent([a, b], 4);
    await a.command('a5', 'UNSELECT');
    await b.command('b5', 'UNSELECT');
  });

  it('IDLE announces a new message with RECENT 1 to the idling session', async () => {
    const a = await session();
    assert.equal(recentIn(await a.command('a1', 'SELECT INBOX')), 0);
    a.write('a2 IDLE\r\n');
    await within(a.until((t) => t.includes('+ idling')), '+ idling');
    await append(writer, 'w6', 5);
    assert.equal(await within(a.until((t) => t.includes('RECENT\r\n')), 'EXISTS and RECENT'), '* 5 EXISTS\r\n* 1 RECENT\r\n');
    a.write('DONE\r\n');
    assert.match(await a.until((t) => /a2 OK/.test(t)), /^a2 OK/m);
    assert.equal(await a.command('a3', 'FETCH 5 (FLAGS)'), '* 5 FETCH (FLAGS (\\Recent))\r\na3 OK FETCH completed\r\n');
  });

  it('EXAMINE and IMAP4rev2 sessions do not take \\Recent from the next rev1 SELECT', async () => {
    await append(writer, 'w7', 6);
    const examine = await session();
    const examined = await examine.command('e1', 'EXAMINE INBOX');
    assert.match(examined, /^\* 6 EXISTS\r\n\* 0 RECENT\r\n/m);
    const rev2 = await session();
    assert.match(await rev2.command('r1', 'ENABLE IMAP4rev2'), /^\* ENABLED IMAP4rev2\r\n/);
    assert.equal(recentIn(await rev2.command('r2', 'SELECT INBOX')), null);
    const rev1 = await session();
    assert.equal(recentIn(await rev1.command('s1', 'SELECT INBOX')), 1);
    assert.equal(await rev1.command('s2', 'SEARCH RECENT'), '* SEARCH 6\r\ns2 OK SEARCH completed\r\n');
  });
});

describe('\\Recent across two `stratus serve` processes on one SQLite data directory', () => {
  const user = 'alice@example.com';
  const password = 'two processes';
  let dir: string;
  let a: ServeProcess;
  let b: ServeProcess;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stratus-recent-'));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      STRATUS_DATA_DIR: dir,
      STRATUS_IMAP_PORT: '0',
      STRATUS_ADMIN_PORT: 'off',
      STRATUS_POP3_PORT: 'off',
      STRATUS_LMTP_PORT: 'off',
      STRATUS_AUTH_FAILURE_DELAY_MS: '10',
      STRATUS_LOG_LEVEL: 'info', // startServe waits for the "IMAP listening" line
    };
    const store = openStore(loadConfig(env));
    try {
      await addUser(store.ctx, user, password);
    } finally {
      await store.close();
    }
    // One after the other, so that a failed start leaves nothing running that `after` does not stop.
    a = await startServe(env);
    b = await startServe(env);
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a message appended on B is recent for the first selected session to learn of it, on either process', async () => {
    const onA = await login(a.imapPort, user, password);
    const onB = await login(b.imapPort, user, password);
    const writer = await login(b.imapPort, user, password);
    try {
      assert.equal(recentIn(await onA.command('a1', 'SELECT INBOX')), 0);
      assert.equal(recentIn(await onB.command('b1', 'SELECT INBOX')), 0);
      await append(writer, 'w1', 1);
      // A (the other process) asks first: it wins the claim in the shared store; B, on the writer's process, does not.
      assert.equal(await onA.command('a2', 'NOOP'), '* 1 EXISTS\r\n* 1 RECENT\r\na2 OK NOOP completed\r\n');
      assert.equal(await onB.command('b2', 'NOOP'), '* 1 EXISTS\r\n* 0 RECENT\r\nb2 OK NOOP completed\r\n');
      assert.equal(await onA.command('a3', 'FETCH 1 (FLAGS)'), '* 1 FETCH (FLAGS (\\Recent))\r\na3 OK FETCH completed\r\n');
      assert.equal(await onB.command('b3', 'FETCH 1 (FLAGS)'), '* 1 FETCH (FLAGS ())\r\nb3 OK FETCH completed\r\n');

      // Both ask at once, one on each process: exactly one of them sees the new message as recent.
      await append(writer, 'w2', 2);
      await Promise.all([onA.command('a4', 'NOOP'), onB.command('b4', 'NOOP')]);
      await exactlyOneSeesRecent([onA, onB], 2);
    } finally {
      onA.close();
      onB.close();
      writer.close();
    }
  });
});

// STATUS RECENT of a mailbox the session has not selected (RFC 3501 §6.3.10): the messages no session has claimed
// yet, which are exactly those the next rev1 SELECT gets as recent. Store calls are counted: the RECENT floor is read
// in the same batch as META, and a count needs at most one range query, on the side of the floor with fewer UIDs.
for (const backend of ['embedded', 'aws'] as const) {
  describe(`STATUS RECENT of a mailbox not selected agrees with the next SELECT (${backend})`, () => {
    let f: Fixture;
    const clients: RawClient[] = [];
    const open = async (): Promise<RawClient> => {
      const c = await login(f.port, f.user, f.password);
      clients.push(c);
      return c;
    };
    before(async () => {
      f = await startFixture({ backend });
    });
    after(async () => {
      for (const c of clients) c.close();
      await f.close();
    });

    /** STATUS Later (RECENT) on `c`: the count, and the KV calls it cost by operation. */
    async function statusRecent(c: RawClient, tag: string): Promise<{ recent: number; kv: Record<string, number> }> {
      const before = f.meter.snapshot();
      const answer = await c.command(tag, 'STATUS Later (RECENT)');
      const used = CallMeter.diff(f.meter.snapshot(), before);
      const m = new RegExp(`^\\* STATUS "?Later"? \\(RECENT (\\d+)\\)\r\n${tag} OK`, 'm').exec(answer);
      assert.ok(m, answer);
      return { recent: Number(m[1]), kv: Object.fromEntries(Object.entries(used.byOp).filter(([op]) => op.startsWith('kv.'))) };
    }

    it('APPEND 3, STATUS RECENT 3, SELECT gets 3 RECENT, then STATUS RECENT 0 for another session', async () => {
      const writer = await open();
      assert.match(await writer.command('c1', 'CREATE Later'), /^c1 OK/m);
      for (let n = 1; n <= 3; n++) await append(writer, `w${n}`, n, 'Later');

      const a = await open();
      // Never claimed (no RECENT item): every message counts, from META alone — META + floor in one batch (the
      // process learned which mailbox the path names from the APPENDs, session/mailbox-id-hints.ts: no name read).
      assert.deepEqual(await statusRecent(a, 'a1'), { recent: 3, kv: { 'kv.batchGet': 1 } });
      // Without RECENT, STATUS is one META read: the process remembers which mailbox the path named
      // (session/mailbox-id-hints.ts), so the name read is skipped and META confirms the path.
      const before = f.meter.snapshot();
      assert.match(await a.command('a2', 'STATUS Later (MESSAGES)'), /^\* STATUS "?Later"? \(MESSAGES 3\)\r\na2 OK/m);
      assert.deepEqual(CallMeter.diff(f.meter.snapshot(), before).byOp, { 'kv.get': 1 });

      assert.equal(recentIn(await a.command('a3', 'SELECT Later')), 3);
      assert.match(await a.command('a4', 'UNSELECT'), /^a4 OK/m);
      const b = await open();
      // Claimed up to uidNext: nothing to count, no query (and no name read: the id is known).
      assert.deepEqual(await statusRecent(b, 'b1'), { recent: 0, kv: { 'kv.batchGet': 1 } });
      assert.equal(recentIn(await b.command('b2', 'SELECT Later')), 0);
      assert.match(await b.command('b3', 'UNSELECT'), /^b3 OK/m);
    });

    it('after a claim, new arrivals are counted with one range query, and the next SELECT agrees', async () => {
      const writer = clients[0]!;
      const b = clients[2]!;
      // Floor 4 (UIDs 1–3 claimed), uidNext 9: the claimed side spans fewer UIDs, so it is the one counted.
      for (let n = 4; n <= 8; n++) await append(writer, `x${n}`, n, 'Later');
      assert.deepEqual(await statusRecent(b, 'b4'), { recent: 5, kv: { 'kv.batchGet': 1, 'kv.query': 1 } });
      // An expunged unclaimed message is not counted (EXPUNGE changes no claim).
      assert.match(await writer.command('x1', 'SELECT Later'), /^\* 5 RECENT\r$/m);
      assert.match(await writer.command('x2', 'UID STORE 8 +FLAGS.SILENT (\\Deleted)'), /^x2 OK/m);
      assert.match(await writer.command('x3', 'UID EXPUNGE 8'), /^x3 OK/m);
      assert.match(await writer.command('x4', 'UNSELECT'), /^x4 OK/m);
      assert.deepEqual((await statusRecent(b, 'b5')).recent, 0);

      // Floor 9, uidNext 11 after two more: the unclaimed side is the smaller one.
      await append(writer, 'y1', 9, 'Later');
      await append(writer, 'y2', 10, 'Later');
      assert.deepEqual(await statusRecent(b, 'b6'), { recent: 2, kv: { 'kv.batchGet': 1, 'kv.query': 1 } });
      // A rev2 session has no \Recent (RFC 9051 §6.3.11 lists no RECENT item): 0, and no count is asked for.
      const rev2 = await open();
      assert.match(await rev2.command('r1', 'ENABLE IMAP4rev2'), /^\* ENABLED IMAP4rev2\r$/m);
      assert.deepEqual(await statusRecent(rev2, 'r2'), { recent: 0, kv: { 'kv.get': 1 } });
      // Another session's STATUS claimed nothing: the next rev1 SELECT still gets both.
      assert.equal(recentIn(await b.command('b7', 'SELECT Later')), 2);
      assert.match(await b.command('b8', 'UNSELECT'), /^b8 OK/m);
    });
  });
}
