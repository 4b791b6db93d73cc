import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { makeCorpus, RARE_WORD } from '../../bench/corpus.js';

describe('makeCorpus', () => {
  const corpus = makeCorpus(200, 7);

  it('is reproducible from its seed', () => {
    assert.deepEqual(makeCorpus(20, 7).map((m) => m.raw), corpus.slice(0, 20).map((m) => m.raw));
    assert.notDeepEqual(makeCorpus(20, 8).map((m) => m.raw), corpus.slice(0, 20).map((m) => m.raw));
  });

  it('spreads sizes over 2–50 KB with some multipart messages and some rare-word bodies', () => {
    const sizes = corpus.map((m) => m.raw.length);
    assert.ok(Math.min(...sizes) >= 2000, `smallest ${Math.min(...sizes)}`);
    assert.ok(Math.max(...sizes) <= 52 * 1024, `largest ${Math.max(...sizes)}`);
    assert.ok(sizes.some((s) => s < 5000) && sizes.some((s) => s > 30_000));
    const multipart = corpus.filter((m) => m.multipart).length;
    assert.ok(multipart > 40 && multipart < 100, `${multipart} multipart`);
    const rare = corpus.filter((m) => m.text.includes(RARE_WORD)).length;
    assert.ok(rare > 5 && rare < 50, `${rare} with the rare word`);
  });

  it('writes valid RFC 5322 lines: CRLF only, at most 998 octets, header then body', () => {
    for (const message of corpus) {
      const text = message.raw.toString('utf8');
      assert.ok(!/[^\r]\n/.test(text) && !/\r[^\n]/.test(text), 'bare CR or LF');
      assert.ok(text.split('\r\n').every((line) => line.length <= 998));
      const [header = '', body = ''] = text.split('\r\n\r\n');
      assert.match(header, new RegExp(`^From: ${message.from.replace(/[.+]/g, '\\$&')}\r\n`));
      assert.ok(header.includes(`\r\nSubject: ${message.subject}\r\n`));
      assert.ok(message.multipart ? header.includes('multipart/mixed') : body.startsWith(message.text.slice(0, 50)));
    }
  });

  it('puts a well-formed base64 attachment into multipart messages', () => {
    const message = corpus.find((m) => m.multipart);
    assert.ok(message);
    const text = message.raw.toString('utf8');
    const boundary = /boundary="([^"]+)"/.exec(text)?.[1] ?? '';
    const parts = text.split(`--${boundary}`);
    assert.equal(parts.length, 4); // preamble, text, attachment, "--" epilogue
    const attachment = parts[2] ?? '';
    const encoded = attachment.split('\r\n\r\n')[1]?.trim() ?? '';
    assert.match(encoded, /^[A-Za-z0-9+/=\r\n]+$/);
    assert.ok(encoded.split('\r\n').every((line) => line.length <= 76));
    assert.ok(Buffer.from(encoded.replace(/\r\n/g, ''), 'base64').length >= 256);
  });
});
