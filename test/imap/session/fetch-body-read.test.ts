// FETCH BODY[] of an ordinary message is read into memory in one ranged read (src/imap/session/fetch-body.ts,
// issue #8): no stream per body, and the response leaves with the command's other lines in one socket write. A range
// over BUFFERED_BODY_MAX, or a source without `read`, is still streamed; a short read is refused, never sent.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { BUFFERED_BODY_MAX, sectionBody, type BodySource } from '../../../src/imap/session/fetch-body.js';
import { BodyLengthError } from '../../../src/imap/encoder.js';

function source(bytes: Buffer, withRead = true, short = 0): BodySource & { reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    blobPrefix: 't/x/u/y/',
    emailId: 'e1',
    size: bytes.length,
    index: undefined,
    async open(start, end) {
      reads.push(`open ${start}-${end}`);
      return Readable.from([bytes.subarray(start, end + 1)]);
    },
    ...(withRead
      ? {
          async read(start: number, end: number) {
            reads.push(`read ${start}-${end}`);
            return bytes.subarray(start, end + 1 - short);
          },
        }
      : {}),
  };
}

describe('sectionBody reads', () => {
  const message = Buffer.from('Subject: hi\r\n\r\nhello there\r\n');

  it('BODY[] and a partial of it come back as bytes from one ranged read', async () => {
    const s = source(message);
    assert.deepEqual(await sectionBody(s, { part: [] }, undefined), message);
    assert.deepEqual(await sectionBody(s, { part: [] }, { offset: 2, length: 5 }), message.subarray(2, 7));
    assert.deepEqual(s.reads, [`read 0-${message.length - 1}`, 'read 2-6']);
  });

  it('a source without read is streamed, as before', async () => {
    const s = source(message, false);
    const body = await sectionBody(s, { part: [] }, undefined);
    assert.ok(body !== null && typeof body === 'object' && !Buffer.isBuffer(body) && body.size === message.length);
    assert.deepEqual(s.reads, [], 'opened only when the writer reads it');
  });

  it('a range over BUFFERED_BODY_MAX is streamed', async () => {
    const big = Buffer.alloc(BUFFERED_BODY_MAX + 1, 0x61);
    const s = source(big);
    const body = await sectionBody(s, { part: [] }, undefined);
    assert.ok(body !== null && typeof body === 'object' && !Buffer.isBuffer(body) && body.size === big.length);
    assert.deepEqual(s.reads, []);
  });

  it('a read that comes back short is an error, not a literal of the wrong size', async () => {
    await assert.rejects(sectionBody(source(message, true, 1), { part: [] }, undefined), BodyLengthError);
  });
});
