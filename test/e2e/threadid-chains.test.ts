// RFC 8474 §5.2 THREADID for reply chains linked only by In-Reply-To, over TCP, on both backends (SQLite + files and
// DynamoDB Local + the S3 stand-in): "messages in the same thread SHOULD share a THREADID", so A ← B ← C where each
// reply names only its parent in In-Reply-To must all get A's THREADID (before the per-user Message-ID → thread
// lookup of src/mailstore/thread-ids.ts, C got B's). Also: MULTIAPPEND of a whole chain, LMTP delivery of a reply,
// a reply stored before its parent, and the store calls a reply costs (one batchGet more than a new thread, no
// further transaction).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import net from 'node:net';
import { startFixture, type Fixture } from './fixture.js';
import { RawClient } from './raw-client.js';
import { CallMeter } from '../../src/storage/metered.js';

/** THREADID of a thread whose first message has this Message-ID (src/mime/thread.ts, wire/object-id.ts). */
const thread = (root: string): string => `T${createHash('sha256').update(root).digest('hex').slice(0, 24)}`;

const message = (id: string, headers: string): string => `From: x@example.org\r\nMessage-ID: ${id}\r\n${headers}Subject: t\r\n\r\nbody\r\n`;

/** Sends one message over LMTP (RFC 2033) and waits for the per-recipient answer. */
async function lmtpDeliver(port: number, to: string, raw: string): Promise<string> {
  const socket = net.connect(port, '127.0.0.1');
  socket.setEncoding('latin1');
  let text = '';
  const waitFor = (re: RegExp): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (re.test(text)) {
          socket.off('data', onData);
          resolve();
        }
      };
      const onData = (chunk: string): void => {
        text += chunk;
        check();
      };
      socket.on('data', onData);
      socket.once('error', reject);
      check();
    });
  await waitFor(/^220 /m);
  const steps: [string, RegExp][] = [
    ['LHLO test.example\r\n', /^250 /m],
    ['MAIL FROM:<x@example.org>\r\n', /^250 /m],
    [`RCPT TO:<${to}>\r\n`, /^250 /m],
    ['DATA\r\n', /^354 /m],
    [`${raw.replace(/\r\n\./g, '\r\n..')}.\r\n`, /^(250|4\d\d|5\d\d) /m],
  ];
  for (const [line, answer] of steps) {
    text = '';
    socket.write(line);
    await waitFor(answer);
  }
  const last = text;
  socket.end('QUIT\r\n');
  return last;
}

for (const backend of ['embedded', 'aws'] as const) {
  describe(`THREADID across In-Reply-To-only chains (RFC 8474 §5.2), ${backend} backend`, () => {
    let f: Fixture;
    let c: RawClient;
    before(async () => {
      f = await startFixture({ backend });
      c = await RawClient.connect(f.port);
      assert.match(await c.command('L', `LOGIN "${f.user}" "${f.password}"`), /^L OK/m);
    });
    after(async () => {
      c.close();
      await f.close();
    });

    const threadIds = async (tag: string, uids: string): Promise<string[]> => {
      const text = await c.command(tag, `UID FETCH ${uids} (THREADID)`);
      assert.match(text, new RegExp(`^${tag} OK`, 'm'));
      return [...text.matchAll(/THREADID \(([^)]+)\)/g)].map((m) => m[1]!);
    };

    it('A ← B ← C ← D linked by In-Reply-To alone share A’s THREADID, also across mailboxes', async () => {
      assert.match(await c.command('c1', 'CREATE Replies'), /^c1 OK/m);
      assert.match(await c.append('a1', 'INBOX', message('<a@chain>', '')), /^a1 OK \[APPENDUID \d+ 1\]/m);
      assert.match(await c.append('a2', 'Replies', message('<b@chain>', 'In-Reply-To: <a@chain>\r\n')), /^a2 OK/m);
      assert.match(await c.append('a3', 'INBOX', message('<c@chain>', 'In-Reply-To: <b@chain>\r\n')), /^a3 OK/m);
      assert.match(await c.append('a4', 'INBOX', message('<d@chain>', 'In-Reply-To: <c@chain>\r\n')), /^a4 OK/m);
      assert.match(await c.command('s1', 'SELECT INBOX'), /^s1 OK/m);
      assert.deepEqual(await threadIds('f1', '1:3'), [thread('<a@chain>'), thread('<a@chain>'), thread('<a@chain>')]);
      // SEARCH THREADID finds the whole chain (RFC 8474 §6).
      assert.equal(await c.command('s2', `UID SEARCH THREADID ${thread('<a@chain>')}`), '* SEARCH 1 2 3\r\ns2 OK UID SEARCH completed\r\n');
      assert.match(await c.command('s3', 'EXAMINE Replies'), /^s3 OK/m);
      assert.deepEqual(await threadIds('f2', '1'), [thread('<a@chain>')]);
      // COPY keeps the thread (the cold item is shared).
      assert.match(await c.command('k1', 'UID COPY 1 INBOX'), /^k1 OK/m);
      assert.match(await c.command('s4', 'SELECT INBOX'), /^s4 OK/m);
      assert.deepEqual(await threadIds('f3', '4'), [thread('<a@chain>')]);
    });

    it('References come first (§5.2); a reply stored before its parent keeps the id its own header fields name', async () => {
      // E names a References root that was never stored: its THREADID is that root's, and its reply F follows it.
      assert.match(await c.append('b1', 'INBOX', message('<e@chain>', 'References: <zz@gone> <d@chain>\r\nIn-Reply-To: <d@chain>\r\n')), /^b1 OK/m);
      assert.match(await c.append('b2', 'INBOX', message('<f@chain>', 'In-Reply-To: <e@chain>\r\n')), /^b2 OK/m);
      // G replies to H before H arrives: G is filed under H; H then starts its own thread, which is G's.
      assert.match(await c.append('b3', 'INBOX', message('<g@late>', 'In-Reply-To: <h@late>\r\n')), /^b3 OK/m);
      assert.match(await c.append('b4', 'INBOX', message('<h@late>', '')), /^b4 OK/m);
      // D's thread is A's; E's References root is <zz@gone>, never stored — the first id found wins: <d@chain>.
      assert.deepEqual(await threadIds('f4', '5:8'), [thread('<a@chain>'), thread('<a@chain>'), thread('<h@late>'), thread('<h@late>')]);
    });

    it('MULTIAPPEND of a whole chain threads it in one transaction (RFC 3502)', async () => {
      const p = message('<p@multi>', '');
      const q = message('<q@multi>', 'In-Reply-To: <p@multi>\r\n');
      const r = message('<r@multi>', 'In-Reply-To: <q@multi>\r\n');
      const before = f.meter.snapshot();
      const answer = await c.command('m1', `APPEND INBOX {${p.length}+}\r\n${p} {${q.length}+}\r\n${q} {${r.length}+}\r\n${r}`);
      assert.match(answer, /^m1 OK \[APPENDUID \d+ 9:11\]/m);
      const used = CallMeter.diff(f.meter.snapshot(), before);
      assert.equal(used.byOp['kv.transactWrite'], 1, JSON.stringify(used.byOp));
      // One batchGet for the APPEND (mailbox, quota, thread lookups) and one for the \Recent claim: c has INBOX selected.
      assert.equal(used.byOp['kv.batchGet'], 2, JSON.stringify(used.byOp));
      assert.deepEqual(await threadIds('f5', '9:11'), [thread('<p@multi>'), thread('<p@multi>'), thread('<p@multi>')]);
    });

    it('LMTP delivery of a reply to the chain joins it', async () => {
      const answer = await lmtpDeliver(f.lmtpPort, f.user, message('<i@chain>', 'In-Reply-To: <f@chain>\r\n'));
      assert.match(answer, /^250 /m);
      assert.match(await c.command('n1', 'NOOP'), /^\* 12 EXISTS\r$/m);
      assert.deepEqual(await threadIds('f6', '12'), [thread('<a@chain>')]);
    });

    // The lookup items ride in the one batchGet an APPEND makes anyway (mailbox, quota limits: messages.ts); the
    // second is the \Recent claim (recent.ts), as c has INBOX selected.
    it('a reply costs no store call more than a new thread: its lookups ride in the APPEND\'s one batchGet', async () => {
      let before = f.meter.snapshot();
      assert.match(await c.append('c1', 'INBOX', message('<root@cost>', '')), /^c1 OK/m);
      const root = CallMeter.diff(f.meter.snapshot(), before);
      before = f.meter.snapshot();
      assert.match(await c.append('c2', 'INBOX', message('<reply@cost>', 'In-Reply-To: <root@cost>\r\n')), /^c2 OK/m);
      const reply = CallMeter.diff(f.meter.snapshot(), before);
      assert.equal(root.byOp['kv.batchGet'], 2, JSON.stringify(root.byOp));
      assert.equal(reply.byOp['kv.batchGet'], 2, JSON.stringify(reply.byOp));
      assert.equal(reply.byOp['kv.transactWrite'], 1);
      assert.equal(root.byOp['kv.transactWrite'], 1);
      assert.equal(reply.kv, root.kv, `${JSON.stringify(root.byOp)} vs ${JSON.stringify(reply.byOp)}`);
    });
  });
}
