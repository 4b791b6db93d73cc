// No input makes the indexer throw: seeded random mutations of the fixtures, checked against structural invariants.
// The internals are called directly (not only indexMessage, whose last-resort catch would hide a throw).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bodystructureWire } from '../../src/imap/wire/bodystructure.js';
import { envelopeWire } from '../../src/imap/wire/envelope.js';
import { extractText } from '../../src/mime/body-text.js';
import { buildEnvelope } from '../../src/mime/envelope.js';
import { buildHeaderCache } from '../../src/mime/header-cache.js';
import { indexMessage } from '../../src/mime/index.js';
import { parseMessage } from '../../src/mime/part-tree.js';
import { partRange } from '../../src/mime/section.js';
import type { MimePart } from '../../src/mime/types.js';
import { fixture, jsonRoundTrip } from './helpers.js';

const FIXTURES = ['simple', 'alternative', 'mixed-attachment', 'nested-rfc822', 'encoded-words', 'rfc2231', 'bare-lf',
  'missing-final-boundary', 'no-headers', 'digest', 'garbage'];

/** mulberry32: a small seeded PRNG so that a failure is reproducible. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SNIPPETS = ['\r\n', '\n', '\r', '--', ':', ';', '"', '(', '<', '=?utf-8?q?', '\r\n\r\n', '--MIX\r\n', '--ALT--\r\n',
  '--OUTER\r\n', 'Content-Type: multipart/mixed; boundary=x\r\n', 'Content-Type: message/rfc822\r\n', '\0', '\xff'];

function mutate(input: Buffer, random: () => number): Buffer {
  let buf = input;
  const steps = 1 + Math.floor(random() * 4);
  for (let s = 0; s < steps; s++) {
    const at = Math.floor(random() * (buf.length + 1));
    const op = Math.floor(random() * 5);
    if (op === 0) buf = buf.subarray(0, at); // truncate
    else if (op === 1) {
      const copy = Buffer.from(buf);
      if (at < copy.length) copy[at] = Math.floor(random() * 256);
      buf = copy;
    } else if (op === 2) {
      const snippet = Buffer.from(SNIPPETS[Math.floor(random() * SNIPPETS.length)] ?? '', 'latin1');
      buf = Buffer.concat([buf.subarray(0, at), snippet, buf.subarray(at)]);
    } else if (op === 3) {
      buf = Buffer.concat([buf.subarray(0, at), buf.subarray(Math.min(buf.length, at + Math.floor(random() * 40)))]);
    } else {
      buf = Buffer.concat([buf.subarray(0, at), buf.subarray(Math.floor(random() * buf.length))]);
    }
  }
  return buf;
}

function checkPart(part: MimePart, lo: number, hi: number, where: string): void {
  assert.ok(part.hs >= lo && part.hl >= 0 && part.bs === part.hs + part.hl, where);
  assert.ok(part.bl >= 0 && part.bs + part.bl <= hi, where);
  assert.ok(part.type !== '' && part.sub !== '', where);
  if (part.type === 'multipart') assert.ok(part.parts !== null && part.parts.length > 0, where);
  if (part.type === 'message' && part.sub === 'rfc822') assert.ok(part.msg !== null, where);
  for (const child of part.parts ?? []) checkPart(child, part.bs, part.bs + part.bl, where);
  if (part.msg !== null) checkPart(part.msg.root, part.bs, part.bs + part.bl, where);
}

test('randomly mutated fixtures never throw and keep every range inside its parent', () => {
  const random = rng(20250206);
  for (const name of FIXTURES) {
    const original = fixture(name);
    for (let i = 0; i < 150; i++) {
      const raw = mutate(original, random);
      const where = `${name} #${i}: ${JSON.stringify(raw.toString('latin1').slice(0, 80))}`;
      const { part: root, fields } = parseMessage(raw, 0, raw.length);
      checkPart(root, 0, raw.length, where);
      extractText(raw, root);
      envelopeWire(buildEnvelope(fields));
      buildHeaderCache(fields);
      bodystructureWire(root);
      const index = indexMessage(raw);
      assert.deepEqual(jsonRoundTrip(index), index, where);
      for (const path of [[], [1], [2], [1, 1], [2, 1], [2, 2]]) {
        for (const kind of ['full', 'header', 'text', 'mime', 'body'] as const) {
          const r = partRange(index, path, kind);
          if (r !== null) assert.ok(r.start >= 0 && r.length >= 0 && r.start + r.length <= raw.length, where);
        }
      }
    }
  }
});

test('pathological nesting is bounded and does not overflow the stack', () => {
  const depth = 5000;
  let text = '';
  for (let i = 0; i < depth; i++) text += `Content-Type: multipart/mixed; boundary=b${i}\r\n\r\n--b${i}\r\n`;
  text += '\r\nleaf\r\n';
  const index = indexMessage(Buffer.from(text));
  let levels = 0;
  let part: MimePart | undefined = index.root;
  while (part?.parts) {
    levels++;
    part = part.parts[0];
  }
  assert.ok(levels > 10 && levels <= 64);
  const rfc = indexMessage(Buffer.from('Content-Type: message/rfc822\r\n\r\n'.repeat(depth)));
  assert.ok(rfc.root.msg !== null);
});

test('a 10 MB message with a base64 attachment: exact attachment range, attachment not decoded for search', () => {
  const attachment = Buffer.alloc(7.5 * 1024 * 1024, 0x41).toString('base64').replace(/.{76}/g, '$&\r\n');
  const head = [
    'From: big@example.com',
    'Subject: big',
    'Content-Type: multipart/mixed; boundary="BIG"',
    '',
    '--BIG',
    'Content-Type: text/plain',
    '',
    'See attachment.',
    '--BIG',
    'Content-Type: application/octet-stream',
    'Content-Transfer-Encoding: base64',
    '',
    '',
  ].join('\r\n');
  const raw = Buffer.from(`${head}${attachment}\r\n--BIG--\r\n`);
  assert.ok(raw.length > 10_000_000);
  const index = indexMessage(raw);
  const att = index.root.parts?.[1];
  assert.equal(att?.bs, head.length);
  assert.equal(att?.bl, attachment.length);
  assert.equal(index.text, 'See attachment.');
  assert.ok(JSON.stringify(index).length < 4096, 'the cold item stays small');
});
