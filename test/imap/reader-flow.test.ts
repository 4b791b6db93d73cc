// Pipelined commands against a session that is not asking for them: the reader holds a bounded number of bytes and
// pauses the socket, then resumes as the session takes commands (issue 3 item 6, "parallel commands per session").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CommandReader } from '../../src/imap/parser/command-reader.js';

test('a flood of pipelined commands pauses the socket at the high-water mark and resumes as they are taken', async () => {
  const flow: string[] = [];
  let paused = false;
  const reader = new CommandReader({
    maxLineLength: 1024,
    flow: {
      pause: () => {
        paused = true;
        flow.push('pause');
      },
      resume: () => {
        paused = false;
        flow.push('resume');
      },
    },
  });
  const count = 5000;
  const bytes = Buffer.from(Array.from({ length: count }, (_, i) => `p${i} NOOP\r\n`).join(''));
  // The socket delivers in 4 KiB chunks until it is paused, as a paused net.Socket would.
  let offset = 0;
  const deliver = (): void => {
    while (!paused && offset < bytes.length) {
      reader.push(bytes.subarray(offset, offset + 4096));
      offset += 4096;
    }
  };
  deliver();
  assert.deepEqual(flow, ['pause']);
  assert.ok(offset <= 2 * 1024 + 2 + 4096, `read ${offset} bytes before pausing`);
  for (let i = 0; i < count; i++) {
    const event = await reader.next();
    assert.deepEqual(event, { kind: 'command', command: { tag: `p${i}`, name: 'NOOP' } });
    deliver();
  }
  assert.equal(offset >= bytes.length, true);
  assert.ok(flow.filter((f) => f === 'pause').length > 1, 'paused again whenever the backlog built up');
});
