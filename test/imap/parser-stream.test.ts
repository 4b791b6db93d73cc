// The streaming side of the parser: chunking, literals, limits, resynchronisation, APPEND streaming, raw lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { CommandReader } from '../../src/imap/parser/command-reader.js';
import type { CommandReaderOptions, ReaderEvent } from '../../src/imap/parser/command-reader.js';

/** A readable record of one event; APPEND bodies are read to the end (or their error recorded). */
async function record(ev: ReaderEvent): Promise<string> {
  if (ev.kind === 'command' && ev.command.name === 'APPEND') {
    const { message, ...rest } = ev.command;
    const read = async (body: typeof message): Promise<{ body: string; outcome: string }> => {
      const chunks: Buffer[] = [];
      let outcome = 'ok';
      try {
        for await (const chunk of body.stream) chunks.push(chunk as Buffer);
      } catch (e) {
        outcome = `error: ${(e as Error).message}`;
      }
      return { body: Buffer.concat(chunks).toString('latin1'), outcome };
    };
    const first = await read(message);
    // MULTIAPPEND (RFC 3502): further messages of the same command, recorded only when there are any.
    const more: object[] = [];
    for (let next = await message.following; next; next = await next.message.following) {
      more.push({ flags: next.flags, size: next.message.size, ...(await read(next.message)) });
    }
    return JSON.stringify({ ...rest, size: message.size, ...first, ...(more.length > 0 ? { more } : {}) });
  }
  return JSON.stringify(ev);
}

/** Pushes `chunks` one at a time, letting the consumer run in between; returns the recorded events. */
async function run(chunks: readonly Buffer[], options?: CommandReaderOptions): Promise<string[]> {
  const reader = new CommandReader(options);
  const out: string[] = [];
  const consumer = (async () => {
    for (;;) {
      const ev = await reader.next();
      if (ev.kind === 'end') return;
      out.push(await record(ev));
    }
  })();
  for (const chunk of chunks) {
    reader.push(chunk);
    await tick();
  }
  reader.end();
  await consumer;
  return out;
}

const SCRIPT = Buffer.from(
  [
    'a1 LOGIN {3}\r\nbob {6+}\r\nsecret\r\n',
    'a2 SELECT "INBOX"\r\n',
    'a3 APPEND Drafts (\\Draft) {12}\r\nHello\r\nWorld\r\n',
    'a4 UID FETCH 1:*,3,5:7 (FLAGS BODY.PEEK[HEADER.FIELDS (From To)]<0.100>)\r\n',
    'a5 SEARCH OR (FROM "a b") TEXT {4+}\r\n{1}x\r\n',
    'a6 APPEND INBOX ~{4+}\r\nab\0c\r\n',
    'bogus line\r\n',
    'a7 NOOP\r\n',
  ].join(''),
);

test('the same events whatever the chunking, down to single bytes', async () => {
  const whole = await run([SCRIPT]);
  assert.equal(whole.length, 9, whole.join('\n'));
  assert.match(whole[3] ?? '', /"body":"Hello\\r\\nWorld","outcome":"ok"/);
  for (let i = 1; i < SCRIPT.length; i++) {
    assert.deepEqual(await run([SCRIPT.subarray(0, i), SCRIPT.subarray(i)]), whole, `split at ${i}`);
  }
  const bytes = [...SCRIPT].map((b) => Buffer.from([b]));
  assert.deepEqual(await run(bytes), whole);
});

test('a synchronizing literal asks for a continuation; a non-synchronizing one does not', async () => {
  const reader = new CommandReader();
  reader.push(Buffer.from('a LOGIN {3}\r\n'));
  assert.deepEqual(await reader.next(), { kind: 'continue', text: 'Ready' });
  reader.push(Buffer.from('bob {4+}\r\npass\r\n'));
  assert.deepEqual(await reader.next(), { kind: 'command', command: { tag: 'a', name: 'LOGIN', user: 'bob', password: 'pass' } });
  // only one next() at a time
  const pending = reader.next();
  await assert.rejects(reader.next(), /pending/);
  reader.push(Buffer.from('x NOOP\r\n'));
  assert.deepEqual(await pending, { kind: 'command', command: { tag: 'x', name: 'NOOP' } });
});

test('an overlong line is refused before its end arrives, and the stream resynchronises', async () => {
  const pauses: string[] = [];
  const reader = new CommandReader({ maxLineLength: 100, flow: { pause: () => pauses.push('pause'), resume: () => pauses.push('resume') } });
  reader.push(Buffer.from('a1 SEARCH TEXT '));
  const first = reader.next();
  for (let i = 0; i < 3; i++) reader.push(Buffer.alloc(50, 0x78));
  assert.deepEqual(await first, { kind: 'error', tag: 'a1', status: 'BAD', text: 'Line too long' });
  // A megabyte more of the same line is thrown away as it arrives, never held.
  for (let i = 0; i < 1024; i++) reader.push(Buffer.alloc(1024, 0x78));
  reader.push(Buffer.from('\r\na2 NOOP\r\n'));
  assert.deepEqual(await reader.next(), { kind: 'command', command: { tag: 'a2', name: 'NOOP' } });
  assert.deepEqual(pauses, []);
});

test('an overlong line ending in a non-synchronizing literal also skips that literal', async () => {
  const input = `a1 LOGIN ${'x'.repeat(500)} {7+}\r\nb\r\nc NO\r\na2 NOOP\r\n`;
  assert.deepEqual(await run([Buffer.from(input)], { maxLineLength: 100 }), [
    JSON.stringify({ kind: 'error', tag: 'a1', status: 'BAD', text: 'Line too long' }),
    JSON.stringify({ kind: 'command', command: { tag: 'a2', name: 'NOOP' } }),
  ]);
  // the same when the whole line arrived at once (line end seen before the limit check)
  const reader = new CommandReader({ maxLineLength: 100 });
  reader.push(Buffer.from(input));
  assert.equal((await reader.next()).kind, 'error');
  assert.deepEqual(await reader.next(), { kind: 'command', command: { tag: 'a2', name: 'NOOP' } });
});

test('an oversized argument literal is refused on its announcement: no continuation, bytes skipped', async () => {
  const sync = await run([Buffer.from('a1 LOGIN {100}\r\na2 NOOP\r\n')], { maxLiteralSize: 10 });
  assert.deepEqual(sync, [
    JSON.stringify({ kind: 'error', tag: 'a1', status: 'BAD', code: 'TOOBIG', text: 'Literal too large' }),
    JSON.stringify({ kind: 'command', command: { tag: 'a2', name: 'NOOP' } }),
  ]);
  const nonSync = await run([Buffer.from(`a1 LOGIN {100+}\r\n${'z1 LOGOUT\r\n'.repeat(10)}\r\na2 NOOP\r\n`)], { maxLiteralSize: 10 });
  assert.deepEqual(nonSync, [
    JSON.stringify({ kind: 'error', tag: 'a1', status: 'BAD', code: 'TOOBIG', text: 'Literal too large' }),
    JSON.stringify({ kind: 'command', command: { tag: 'a2', name: 'NOOP' } }),
  ]);
});

test('an oversized APPEND is NO [TOOBIG]; a non-synchronizing one is skipped without buffering', async () => {
  assert.deepEqual(await run([Buffer.from('a3 APPEND INBOX {5000}\r\na4 NOOP\r\n')], { maxAppendSize: 1000 }), [
    JSON.stringify({ kind: 'error', tag: 'a3', status: 'NO', code: 'TOOBIG', text: 'Message too large' }),
    JSON.stringify({ kind: 'command', command: { tag: 'a4', name: 'NOOP' } }),
  ]);
  const pauses: string[] = [];
  const size = 4 * 1024 * 1024;
  const chunks = [Buffer.from(`a3 APPEND INBOX (\\Seen) {${size}+}\r\n`)];
  for (let sent = 0; sent < size; sent += 65536) chunks.push(Buffer.from('z9 LOGOUT\r\n'.repeat(65536 / 16).padEnd(65536, 'y')));
  chunks.push(Buffer.from('\r\na4 NOOP\r\n'));
  const events = await run(chunks, { maxAppendSize: 1000, flow: { pause: () => pauses.push('pause'), resume: () => pauses.push('resume') } });
  assert.deepEqual(events, [
    JSON.stringify({ kind: 'error', tag: 'a3', status: 'NO', code: 'TOOBIG', text: 'Message too large' }),
    JSON.stringify({ kind: 'command', command: { tag: 'a4', name: 'NOOP' } }),
  ]);
  assert.deepEqual(pauses, [], 'skipped bytes were held long enough to need a pause');
});

test('LITERAL-: a non-synchronizing literal over 4096 bytes is BAD [TOOBIG] (RFC 7888 §5)', async () => {
  const events = await run([Buffer.from(`a APPEND INBOX {5000+}\r\n${'x'.repeat(5000)}\r\nb NOOP\r\n`)], { literalMinus: true });
  assert.deepEqual(events, [
    JSON.stringify({ kind: 'error', tag: 'a', status: 'BAD', code: 'TOOBIG', text: 'Non-synchronizing literal over 4096 bytes' }),
    JSON.stringify({ kind: 'command', command: { tag: 'b', name: 'NOOP' } }),
  ]);
  const ok = await run([Buffer.from(`a LOGIN {3+}\r\nbob {4096+}\r\n${'p'.repeat(4096)}\r\n`)], { literalMinus: true });
  assert.equal(ok.length, 1);
  assert.match(ok[0] ?? '', /"name":"LOGIN"/);
});

test('too many literals in one command', async () => {
  const events = await run([Buffer.from('a LOGIN {1+}\r\nx {1+}\r\ny\r\nb NOOP\r\n')], { maxLiteralsPerCommand: 1 });
  assert.deepEqual(events, [
    JSON.stringify({ kind: 'error', tag: 'a', status: 'BAD', text: 'Too many literals' }),
    JSON.stringify({ kind: 'command', command: { tag: 'b', name: 'NOOP' } }),
  ]);
});

test('APPEND of 5 MB: the handler gets chunks before the literal has arrived, with backpressure', async () => {
  const size = 5 * 1024 * 1024;
  const message = Buffer.alloc(size);
  for (let i = 0; i < size; i++) message[i] = (i * 7 + (i >> 11)) & 0xff;
  const pauses: string[] = [];
  const reader = new CommandReader({ flow: { pause: () => pauses.push('pause'), resume: () => pauses.push('resume') } });
  reader.push(Buffer.from(`a APPEND INBOX {${size}+}\r\n`));
  const ev = await reader.next();
  assert.ok(ev.kind === 'command' && ev.command.name === 'APPEND');
  const body = ev.command.message;
  assert.equal(body.size, size);
  assert.equal(body.synchronizing, false);

  // Push a quarter of the message with nobody reading: the reader must ask the socket to pause.
  const chunkSize = 64 * 1024;
  let pushed = 0;
  while (pushed < size / 4) {
    reader.push(message.subarray(pushed, pushed + chunkSize));
    pushed += chunkSize;
  }
  assert.equal(pauses[0], 'pause');

  // Now consume, pushing the rest while reading; data must reach the handler long before the end.
  const received: Buffer[] = [];
  let pushedWhenFirstChunkSeen = -1;
  const consumer = (async () => {
    for await (const chunk of body.stream) {
      if (pushedWhenFirstChunkSeen < 0) pushedWhenFirstChunkSeen = pushed;
      received.push(chunk as Buffer);
    }
  })();
  while (pushed < size) {
    reader.push(message.subarray(pushed, pushed + chunkSize));
    pushed += chunkSize;
    await tick();
  }
  reader.push(Buffer.from('\r\nb NOOP\r\n'));
  await consumer;
  assert.ok(pushedWhenFirstChunkSeen < size, 'no data was delivered before the whole literal had been pushed');
  assert.ok(received.length > 1);
  assert.ok(Buffer.concat(received).equals(message));
  assert.ok(pauses.includes('resume'));
  assert.deepEqual(await reader.next(), { kind: 'command', command: { tag: 'b', name: 'NOOP' } });
});

test('APPEND handler refuses a synchronizing literal before the continuation, or discards a sent one', async () => {
  const reader = new CommandReader();
  reader.push(Buffer.from('a APPEND Nope {10}\r\n'));
  const ev = await reader.next();
  assert.ok(ev.kind === 'command' && ev.command.name === 'APPEND');
  ev.command.message.refuse();
  reader.push(Buffer.from('b NOOP\r\n'));
  assert.deepEqual(await reader.next(), { kind: 'command', command: { tag: 'b', name: 'NOOP' } });

  reader.push(Buffer.from('c APPEND Nope {10+}\r\n01234'));
  const ev2 = await reader.next();
  assert.ok(ev2.kind === 'command' && ev2.command.name === 'APPEND');
  ev2.command.message.discard();
  reader.push(Buffer.from('56789 (junk)\r\nd NOOP\r\n'));
  assert.deepEqual(await reader.next(), { kind: 'command', command: { tag: 'd', name: 'NOOP' } });
});

test('APPEND: MULTIAPPEND (RFC 3502) next messages come through `following`; other data errors the stream', async () => {
  const multi = await run([Buffer.from('a APPEND INBOX {3+}\r\nabc (\\Seen) {2+}\r\nxy {1+}\r\nz\r\nb NOOP\r\n')]);
  assert.equal(multi.length, 2);
  assert.match(multi[0] ?? '', /"body":"abc","outcome":"ok","more":\[\{"flags":\["\\\\Seen"\],"size":2,"body":"xy","outcome":"ok"\},\{"flags":\[\],"size":1,"body":"z","outcome":"ok"\}\]/);
  assert.equal(multi[1], JSON.stringify({ kind: 'command', command: { tag: 'b', name: 'NOOP' } }));
  const events = await run([Buffer.from('a APPEND INBOX {3+}\r\nabc junk\r\nb NOOP\r\n')]);
  assert.equal(events.length, 2);
  assert.match(events[0] ?? '', /"outcome":"error: Unexpected data after APPEND message"/);
  assert.equal(events[1], JSON.stringify({ kind: 'command', command: { tag: 'b', name: 'NOOP' } }));
  // zero-length message
  const empty = await run([Buffer.from('a APPEND INBOX {0+}\r\n\r\n')]);
  assert.match(empty[0] ?? '', /"size":0,"body":"","outcome":"ok"/);
});

test('the connection closing during APPEND errors the stream and ends the reader', async () => {
  const events = await run([Buffer.from('a APPEND INBOX {100+}\r\nonly a part')]);
  assert.equal(events.length, 1);
  assert.match(events[0] ?? '', /"outcome":"error: Connection closed during APPEND"/);
});

test('expectRawLine: AUTHENTICATE responses and IDLE DONE, even when pipelined', async () => {
  const reader = new CommandReader();
  reader.push(Buffer.from('a AUTHENTICATE PLAIN\r\nAGJvYgBzZWNyZXQ=\r\nb IDLE\r\nDONE\r\nc NOOP {5}\r\n'));
  assert.deepEqual(await reader.next(), { kind: 'command', command: { tag: 'a', name: 'AUTHENTICATE', mechanism: 'PLAIN' } });
  reader.expectRawLine();
  assert.deepEqual(await reader.next(), { kind: 'line', text: 'AGJvYgBzZWNyZXQ=' });
  assert.deepEqual(await reader.next(), { kind: 'command', command: { tag: 'b', name: 'IDLE' } });
  reader.expectRawLine();
  assert.deepEqual(await reader.next(), { kind: 'line', text: 'DONE' });
  // a raw line is never read as a literal announcement
  reader.expectRawLine();
  assert.deepEqual(await reader.next(), { kind: 'line', text: 'c NOOP {5}' });
  reader.end();
  assert.deepEqual(await reader.next(), { kind: 'end' });
});

test('untagged BAD for garbage, blank lines ignored, bare LF accepted', async () => {
  const events = await run([Buffer.from('\r\n\r\n)))\r\na NOOP\nb NOOP\r\n')]);
  assert.deepEqual(events, [
    JSON.stringify({ kind: 'error', tag: null, status: 'BAD', text: 'Missing tag' }),
    JSON.stringify({ kind: 'command', command: { tag: 'a', name: 'NOOP' } }),
    JSON.stringify({ kind: 'command', command: { tag: 'b', name: 'NOOP' } }),
  ]);
});
