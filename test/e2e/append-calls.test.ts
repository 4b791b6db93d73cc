// APPEND's store calls (issue #8), counted at the ports on both backends: a non-synchronizing literal needs no
// look-ahead; the mailbox (META with the process's mailbox-id hint, else the name item), the owner's quota limits and
// the thread lookups come in ONE batchGet; the appending session takes its own message in from the commit's answer
// (no log read). And the hint is only a hint: a RENAME between two APPENDs never sends the second to the old mailbox.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CallMeter, type CallCounts } from '../../src/storage/metered.js';
import { startFixture, type Fixture } from './fixture.js';
import { RawClient } from './raw-client.js';
import { simpleMessage } from './sample-messages.js';

/** APPEND with a non-synchronizing literal (RFC 7888 LITERAL+), the way bench/imap-client.ts sends it. */
async function appendPlus(c: RawClient, tag: string, mailbox: string, message: string): Promise<string> {
  return c.command(tag, `APPEND ${mailbox} {${Buffer.byteLength(message)}+}\r\n${message}`);
}

async function counted(f: Fixture, run: () => Promise<string>): Promise<{ answer: string; used: CallCounts }> {
  const before = f.meter.snapshot();
  const answer = await run();
  await new Promise((r) => setTimeout(r, 150)); // the mailbox cache's look at the commit's hint, if any
  return { answer, used: CallMeter.diff(f.meter.snapshot(), before) };
}

for (const backend of ['embedded', 'aws'] as const) {
  describe(`APPEND store calls (${backend})`, () => {
    let f: Fixture;
    let c: RawClient;
    before(async () => {
      f = await startFixture({ backend });
      c = await RawClient.connect(f.port);
      assert.match(await c.command('l', `LOGIN ${f.user} "${f.password}"`), /^l OK/m);
      assert.match(await c.command('c', 'CREATE Outbox'), /^c OK/m);
    });
    after(async () => {
      c.close();
      await f.close();
    });

    it('to another mailbox: one batchGet, the cold item, the commit — no look-ahead, no name read once known', async () => {
      const first = await counted(f, () => appendPlus(c, 'a1', 'Outbox', simpleMessage({ subject: 'one' })));
      assert.match(first.answer, /^a1 OK \[APPENDUID \d+ 1\]/m);
      // Path not known to the process yet: the name item rides in the batchGet, META is the commit's own read.
      assert.deepEqual(first.used.byOp, { 'kv.batchGet': 1, 'kv.get': 1, 'kv.put': 1, 'kv.transactWrite': 1, 'blob.put': 1, 'blob.get': 1 });
      const second = await counted(f, () => appendPlus(c, 'a2', 'Outbox', simpleMessage({ subject: 'two' })));
      assert.match(second.answer, /^a2 OK \[APPENDUID \d+ 2\]/m);
      assert.deepEqual(second.used.byOp, { 'kv.batchGet': 1, 'kv.put': 1, 'kv.transactWrite': 1, 'blob.put': 1, 'blob.get': 1 });
    });

    it('to the selected mailbox: EXISTS from the commit itself, no log read', async () => {
      assert.match(await c.command('s', 'SELECT INBOX'), /^s OK/m);
      await appendPlus(c, 'b0', 'INBOX', simpleMessage({ subject: 'warm' })); // the path becomes known
      const { answer, used } = await counted(f, () => appendPlus(c, 'b1', 'INBOX', simpleMessage({ subject: 'selected' })));
      assert.match(answer, /\* 2 EXISTS\r\n\* 2 RECENT\r\nb1 OK \[APPENDUID \d+ 2\]/);
      assert.equal(used.byOp['kv.query'] ?? 0, 0, JSON.stringify(used.byOp));
      // The APPEND's one batchGet and commit; the \Recent claim of the new message (mailstore/recent.ts) is META and the
      // floor in one batchGet, then the conditional put (issue #8: it read META and the floor apart, 6 KV calls in all).
      assert.deepEqual(
        Object.fromEntries(Object.entries(used.byOp).filter(([op]) => op.startsWith('kv.'))),
        { 'kv.batchGet': 2, 'kv.put': 2, 'kv.transactWrite': 1 },
      );
      assert.equal(used.kv, 5);
      const fetched = await c.command('f', 'FETCH 2 (FLAGS RFC822.SIZE)');
      assert.ok(fetched.includes(`RFC822.SIZE ${Buffer.byteLength(simpleMessage({ subject: 'selected' }))}`), fetched);
    });

    it('a RENAME between two APPENDs: the known id is checked, the message goes to the mailbox the name now names', async () => {
      assert.match(await appendPlus(c, 'r1', 'Box', simpleMessage()), /^r1 NO \[TRYCREATE\]/m);
      assert.match(await c.command('r2', 'CREATE Box'), /^r2 OK/m);
      assert.match(await appendPlus(c, 'r3', 'Box', simpleMessage({ subject: 'first box' })), /^r3 OK/m);
      assert.match(await c.command('r4', 'RENAME Box Old'), /^r4 OK/m);
      assert.match(await appendPlus(c, 'r5', 'Box', simpleMessage()), /^r5 NO \[TRYCREATE\]/m);
      assert.match(await c.command('r6', 'CREATE Box'), /^r6 OK/m);
      assert.match(await appendPlus(c, 'r7', 'Box', simpleMessage({ subject: 'second box' })), /^r7 OK \[APPENDUID \d+ 1\]/m);
      assert.match(await c.command('r8', 'STATUS Old (MESSAGES)'), /\* STATUS "?Old"? \(MESSAGES 1\)/);
      assert.match(await c.command('r9', 'STATUS Box (MESSAGES)'), /\* STATUS "?Box"? \(MESSAGES 1\)/);
    });

    it('a small literal with 8-bit header octets is refused before anything is staged (RFC 6855 §4)', async () => {
      const before = f.meter.snapshot();
      const message = 'Subject: caf\u00e9\r\n\r\nbody\r\n';
      const answer = await c.command('u1', `APPEND INBOX {${Buffer.byteLength(message)}+}\r\n${message}`);
      assert.match(answer, /^u1 NO /m);
      assert.equal(CallMeter.diff(f.meter.snapshot(), before).byOp['blob.put'] ?? 0, 0);
    });
  });
}
