// toCrlf: bare LF to CRLF for the ingest path, so that sizes match what other servers report.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { indexMessage, toCrlf } from '../../src/mime/index.js';
import { fixture } from './helpers.js';

test('bare LFs become CRLF, existing CRLFs are kept, clean input is returned as is', () => {
  assert.equal(Buffer.from(toCrlf(Buffer.from('a\nb\r\nc\n\nd'))).toString(), 'a\r\nb\r\nc\r\n\r\nd');
  assert.equal(Buffer.from(toCrlf(Buffer.from('\n'))).toString(), '\r\n');
  const clean = Buffer.from('a\r\nb\r\n');
  assert.equal(toCrlf(clean), clean);
});

test('a normalised bare-LF message gets the sizes Dovecot reports for it', () => {
  const index = indexMessage(toCrlf(fixture('bare-lf')));
  assert.deepEqual(index.root.parts?.map((p) => [p.bl, p.lines]), [[18, 1], [11, 0]]);
});
