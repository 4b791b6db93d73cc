// ImapWriter's synchronous path (src/imap/encoder.ts, issue #8): a response with nothing queued ahead of it reaches
// the stream during the write() call — no promise chain per response — and order is kept with queued ones; a corked
// stream may run ahead of its high-water mark (bounded) without waiting for a 'drain' only uncorking would bring.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { ImapWriter } from '../../src/imap/encoder.js';

function sink(highWaterMark = 16 * 1024): { out: Writable; chunks: string[] } {
  const chunks: string[] = [];
  const out = new Writable({
    highWaterMark,
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString('latin1'));
      setImmediate(done);
    },
  });
  return { out, chunks };
}

describe('ImapWriter fast path', () => {
  it('writes an in-memory response during the call', () => {
    const { out } = sink();
    const writer = new ImapWriter(out);
    const response = '* 1 FETCH (FLAGS (\\Seen))\r\n';
    void writer.write(['* 1 FETCH (FLAGS (', '\\Seen', '))\r\n']);
    assert.equal(out.writableLength, response.length, 'the bytes are in the stream before write() returns');
  });

  it('keeps order behind a queued body stream', async () => {
    const { out, chunks } = sink(4);
    const writer = new ImapWriter(out);
    const body = Readable.from([Buffer.from('abc'), Buffer.from('def')]);
    const first = writer.write(['* 1 FETCH (BODY[] ', { size: 6, stream: body }, ')\r\n']);
    const second = writer.write('A1 OK FETCH completed\r\n');
    await Promise.all([first, second]);
    await new Promise<void>((resolve) => out.end(resolve));
    assert.equal(chunks.join(''), '* 1 FETCH (BODY[] abcdef)\r\nA1 OK FETCH completed\r\n');
  });

  it('a corked stream takes a response over its high-water mark without waiting for drain', async () => {
    const { out, chunks } = sink(1024);
    const writer = new ImapWriter(out);
    out.cork();
    let settled = false;
    const big = Buffer.alloc(20_000, 0x61);
    void writer.write([`* 1 FETCH (BODY[] {${big.length}}\r\n`, big, ')\r\n']).then(() => (settled = true));
    void writer.write('A1 OK FETCH completed\r\n');
    await Promise.resolve();
    assert.equal(settled, true, 'no drain needed while corked and under the run-ahead bound');
    assert.equal(chunks.length, 0, 'still corked: nothing handed on yet');
    out.uncork();
    await new Promise<void>((resolve) => out.end(resolve));
    assert.ok(chunks.join('').endsWith(')\r\nA1 OK FETCH completed\r\n'));
  });

  it('a corked stream past the run-ahead bound waits for drain', async () => {
    const { out } = sink(1024);
    const writer = new ImapWriter(out);
    out.cork();
    let settled = false;
    void writer.write(Buffer.alloc(300 * 1024)).then(() => (settled = true));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(settled, false);
    out.uncork();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(settled, true);
  });
});
