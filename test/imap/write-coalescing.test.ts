// coalesceWrites (src/imap/write-coalescing.ts): a command's response lines reach the socket as one write(v), yet
// nothing written is ever held past the end of the event-loop turn that wrote it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Duplex } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { WriteCoalescer, coalesceWrites } from '../../src/imap/write-coalescing.js';

/** A socket stand-in that records every batch handed to it; each batch completes a turn later, as a socket's would. */
function recordingStream(): { stream: Duplex; batches: string[][] } {
  const batches: string[][] = [];
  const stream = new Duplex({
    read() {},
    writev(chunks, done) {
      batches.push(chunks.map((c) => String(c.chunk)));
      setImmediate(done);
    },
  });
  return { stream, batches };
}

describe('coalesceWrites', () => {
  it('hands the lines one command writes in a turn to the socket as one batch', async () => {
    const { stream, batches } = recordingStream();
    const flush = coalesceWrites(stream);
    stream.write('* 3 EXISTS\r\n');
    stream.write('* FLAGS (\\Seen)\r\n');
    stream.write('A1 OK SELECT completed\r\n');
    flush();
    await nextTurn();
    assert.deepEqual(batches, [['* 3 EXISTS\r\n', '* FLAGS (\\Seen)\r\n', 'A1 OK SELECT completed\r\n']]);
  });

  it('without it the same lines take more than one write (what the test above guards)', async () => {
    const { stream, batches } = recordingStream();
    stream.write('* 3 EXISTS\r\n');
    stream.write('* FLAGS (\\Seen)\r\n');
    stream.write('A1 OK SELECT completed\r\n');
    await nextTurn();
    assert.ok(batches.length > 1, JSON.stringify(batches));
  });

  it('never holds a line past its turn: a continuation request goes out while the command still runs', async () => {
    const { stream, batches } = recordingStream();
    const flush = coalesceWrites(stream);
    stream.write('+ Ready for literal data\r\n'); // APPEND waits for the client after this
    await nextTurn();
    await nextTurn();
    assert.deepEqual(batches, [['+ Ready for literal data\r\n']]);
    // Later turns keep going out by themselves, and the flush at the end changes nothing.
    stream.write('A2 OK APPEND completed\r\n');
    await nextTurn();
    await nextTurn();
    flush();
    flush();
    assert.deepEqual(batches.at(-1), ['A2 OK APPEND completed\r\n']);
    assert.equal(stream.writableCorked, 0);
  });

  it('a command that writes nothing in its first turn leaves the stream uncorked while it waits', async () => {
    const { stream } = recordingStream();
    const flush = coalesceWrites(stream);
    await nextTurn();
    await nextTurn();
    assert.equal(stream.writableCorked, 0);
    flush();
    assert.equal(stream.writableCorked, 0);
  });
});

describe('WriteCoalescer (one per connection, reused by every command)', () => {
  it('batches each command on its own, and leaves the stream uncorked between commands', async () => {
    const { stream, batches } = recordingStream();
    const coalescer = new WriteCoalescer(stream);
    for (const tag of ['A1', 'A2']) {
      coalescer.begin();
      stream.write('* 1 EXISTS\r\n');
      stream.write(`${tag} OK NOOP completed\r\n`);
      coalescer.flush();
      assert.equal(stream.writableCorked, 0);
    }
    await nextTurn();
    assert.deepEqual(batches, [
      ['* 1 EXISTS\r\n', 'A1 OK NOOP completed\r\n'],
      ['* 1 EXISTS\r\n', 'A2 OK NOOP completed\r\n'],
    ]);
  });

  it('a command that outlives its turn still gets its lines out at the end of each turn', async () => {
    const { stream, batches } = recordingStream();
    const coalescer = new WriteCoalescer(stream);
    coalescer.begin();
    stream.write('+ Ready\r\n');
    await nextTurn();
    await nextTurn();
    assert.deepEqual(batches, [['+ Ready\r\n']]);
    coalescer.flush();
    coalescer.flush();
    assert.equal(stream.writableCorked, 0);
  });
});
