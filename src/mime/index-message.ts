// indexMessage: everything the store keeps about a message besides its raw bytes, computed once at append time.
import { extractText, makePreview } from './body-text.js';
import { buildEnvelope } from './envelope.js';
import { buildHeaderCache } from './header-cache.js';
import { countLines } from './lines.js';
import { parseMessage } from './part-tree.js';
import type { MessageIndex, MimePart } from './types.js';

function asBuffer(raw: Uint8Array): Buffer {
  return Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
}

/** The structure used if the parser itself fails: one text/plain body, no headers. Should never be needed. */
function fallbackRoot(size: number): MimePart {
  return {
    hs: 0,
    hl: 0,
    bs: 0,
    bl: size,
    type: 'text',
    sub: 'plain',
    params: [['charset', 'us-ascii']],
    id: null,
    desc: null,
    enc: null,
    lines: null,
    md5: null,
    disp: null,
    dparams: null,
    lang: null,
    loc: null,
    parts: null,
    msg: null,
  };
}

/** Indexes a raw RFC 5322 message. Pure, synchronous, and total: it never throws for any input bytes. */
export function indexMessage(raw: Uint8Array): MessageIndex {
  const buf = asBuffer(raw);
  const size = buf.length;
  const lines = countLines(buf, 0, size);
  try {
    const { part: root, fields } = parseMessage(buf, 0, size);
    const text = extractText(buf, root);
    return {
      v: 1,
      size,
      lines,
      root,
      env: buildEnvelope(fields),
      hdr: buildHeaderCache(fields),
      text,
      preview: makePreview(text),
    };
  } catch {
    const root = fallbackRoot(size);
    root.lines = lines;
    return {
      v: 1,
      size,
      lines,
      root,
      env: buildEnvelope([]),
      hdr: buildHeaderCache([]),
      text: '',
      preview: '',
    };
  }
}
