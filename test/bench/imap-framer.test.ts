import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ImapFramer } from '../../bench/imap-framer.js';

const literalBody = 'line one\r\nline two with {5}\r\n';
const stream = Buffer.from(
  '* OK [CAPABILITY IMAP4rev1 LITERAL+] ready\r\n' +
    `* 1 FETCH (UID 7 BODY[] {${Buffer.byteLength(literalBody)}}\r\n${literalBody} FLAGS (\\Seen))\r\n` +
    '* 2 FETCH (BODY[HEADER] {0}\r\n BODY[TEXT] {3}\r\nabc)\r\n' +
    'A0001 OK done\r\n',
);
const expected = [
  '* OK [CAPABILITY IMAP4rev1 LITERAL+] ready',
  `* 1 FETCH (UID 7 BODY[] {${Buffer.byteLength(literalBody)}}\r\n${literalBody} FLAGS (\\Seen))`,
  '* 2 FETCH (BODY[HEADER] {0}\r\n BODY[TEXT] {3}\r\nabc)',
  'A0001 OK done',
];

function frame(chunks: Buffer[]): string[] {
  const out: string[] = [];
  const framer = new ImapFramer((response) => out.push(response.toString('utf8')));
  for (const chunk of chunks) framer.push(chunk);
  return out;
}

describe('ImapFramer', () => {
  it('splits whole responses, keeping literals (even ones containing CRLF and "{n}") inside them', () => {
    assert.deepEqual(frame([stream]), expected);
  });

  it('gives the same responses however the stream is cut into chunks', () => {
    for (let cut = 1; cut < stream.length; cut++) {
      assert.deepEqual(frame([stream.subarray(0, cut), stream.subarray(cut)]), expected, `cut at ${cut}`);
    }
    const bytes = Array.from({ length: stream.length }, (_, i) => stream.subarray(i, i + 1));
    assert.deepEqual(frame(bytes), expected);
  });

  it('holds back an unfinished response', () => {
    assert.deepEqual(frame([Buffer.from('* 1 FETCH (BODY[] {10}\r\nabc')]), []);
    assert.deepEqual(frame([Buffer.from('A1 OK no newline yet')]), []);
  });
});
