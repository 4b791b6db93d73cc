// The part tree with byte offsets, computed on the raw bytes without copying them (subarray views and native
// indexOf only). Multipart bodies are split per RFC 2046 §5.1.1; message/rfc822 bodies are parsed as messages
// (RFC 2046 §5.2.1). Broken input gets a best-effort structure and never an exception.
import { buildEnvelope } from './envelope.js';
import { param, parseContentFields } from './content-fields.js';
import type { HeaderField } from './header-block.js';
import { decodeHeaderBytes, findHeaderEnd, parseHeaderFields } from './header-block.js';
import { countLines } from './lines.js';
import type { MimePart } from './types.js';

/** Deeper nesting than this is treated as an opaque leaf (protects the stack and the cold item size). */
export const MAX_DEPTH = 32;
/** More parts than this are not split further; the last part found takes the rest of its parent. */
export const MAX_PARTS = 2000;

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const TAB = 0x09;
const DASH = 0x2d;

interface Context {
  parts: number;
}

export interface ParsedEntity {
  part: MimePart;
  /** the header fields of this entity (used for the envelope and the header cache of a message root) */
  fields: HeaderField[];
}

/** Parses the entity in [start, end): its header block, content fields, and recursively its body. */
function parseEntity(buf: Buffer, start: number, end: number, digestChild: boolean, depth: number, ctx: Context): ParsedEntity {
  ctx.parts++;
  const block = findHeaderEnd(buf, start, end);
  const fields = parseHeaderFields(decodeHeaderBytes(buf.subarray(start, start + block.length)));
  const cf = parseContentFields(fields, digestChild);
  const part: MimePart = {
    hs: start,
    hl: block.length,
    bs: block.bodyStart,
    bl: end - block.bodyStart,
    type: cf.type,
    sub: cf.sub,
    params: cf.params,
    id: cf.id,
    desc: cf.desc,
    enc: cf.enc,
    lines: null,
    md5: cf.md5,
    disp: cf.disp,
    dparams: cf.dparams,
    lang: cf.lang,
    loc: cf.loc,
    parts: null,
    msg: null,
  };
  const tooDeep = depth >= MAX_DEPTH || ctx.parts >= MAX_PARTS;

  if (part.type === 'multipart') {
    const boundary = param(part.params, 'boundary');
    if (boundary === null || boundary === '' || tooDeep) {
      // No way to split it (RFC 2046 §5.1.1 makes boundary mandatory): keep the bytes as one opaque leaf.
      part.type = 'application';
      part.sub = 'octet-stream';
    } else {
      part.parts = splitMultipart(buf, part.bs, end, boundary, part.sub === 'digest', depth + 1, ctx);
    }
  } else if (part.type === 'message' && part.sub === 'rfc822') {
    if (tooDeep) {
      // BODYSTRUCTURE of a message/rfc822 part must carry the inner structure; past the limit it is opaque.
      part.type = 'application';
      part.sub = 'octet-stream';
    } else {
      const inner = parseEntity(buf, part.bs, end, false, depth + 1, ctx);
      part.msg = { env: buildEnvelope(inner.fields), root: inner.part };
    }
  }
  if (part.type === 'text' || (part.type === 'message' && part.sub === 'rfc822')) {
    part.lines = countLines(buf, part.bs, end);
  }
  return { part, fields };
}

/** True when the bytes after a delimiter up to the line end are only transport padding (RFC 2046 §5.1.1). */
function onlyPadding(body: Uint8Array, from: number): boolean {
  for (let i = from; i < body.length; i++) {
    const c = body[i];
    if (c === LF) return true;
    if (c !== SP && c !== TAB && c !== CR) return false;
  }
  return true;
}

/** Offset just past the end of the line containing `from` (or the end of the body). */
function nextLine(body: Uint8Array, from: number): number {
  const lf = body.indexOf(LF, from);
  return lf < 0 ? body.length : lf + 1;
}

/**
 * Splits a multipart body [bs, be) into its parts. The preamble and epilogue are skipped. A missing close
 * delimiter ends the last part at the end of the body. A body with no delimiter at all becomes one part so that
 * every multipart has at least one child (the BODYSTRUCTURE grammar needs one).
 */
function splitMultipart(
  buf: Buffer,
  bs: number,
  be: number,
  boundary: string,
  digest: boolean,
  depth: number,
  ctx: Context,
): MimePart[] {
  const body = buf.subarray(bs, be);
  const delim = Buffer.from(`--${boundary}`, 'utf8');
  const ranges: [number, number][] = [];
  let partStart = -1; // start of the part being collected (relative), -1 while in the preamble
  let pos = 0;
  let closed = false;
  while (pos <= body.length) {
    const d = body.indexOf(delim, pos);
    if (d < 0) break;
    pos = d + 1;
    if (d > 0 && body[d - 1] !== LF) continue; // delimiters start a line
    const after = d + delim.length;
    const close = body[after] === DASH && body[after + 1] === DASH;
    if (!close && !onlyPadding(body, after)) continue; // a longer boundary that merely starts with ours
    if (partStart >= 0) {
      // The line break before the delimiter is part of the delimiter, not of the body.
      let end = d;
      if (end > partStart && body[end - 1] === LF) end--;
      if (end > partStart && body[end - 1] === CR) end--;
      ranges.push([partStart, end]);
    }
    if (close) {
      closed = true;
      break;
    }
    partStart = nextLine(body, after);
    pos = partStart;
    if (ctx.parts + ranges.length >= MAX_PARTS) break; // stop splitting: the last part takes the rest
  }
  if (!closed) {
    if (partStart >= 0) ranges.push([partStart, body.length]);
    else ranges.push([0, body.length]); // no delimiter at all
  }
  if (ranges.length === 0) ranges.push([0, 0]); // only a close delimiter: one empty part
  return ranges.map(([s, e]) => parseEntity(buf, bs + s, bs + e, digest, depth, ctx).part);
}

/** Parses a whole message (or an encapsulated one) in [start, end). */
export function parseMessage(buf: Buffer, start: number, end: number): ParsedEntity {
  return parseEntity(buf, start, end, false, 0, { parts: 0 });
}
