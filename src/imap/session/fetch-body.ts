// BODY[section]<partial> (RFC 3501 §6.4.5): which bytes of the raw message a section names, found in the MIME index
// (partRange), narrowed by the partial, and read as ONE ranged blob GET — a part or a partial never reads the whole
// message. A range of at most BUFFERED_BODY_MAX bytes is read into memory (the response then leaves with the rest of
// the command's answer in one socket write, with no stream machinery per body: issue #8); a longer one is streamed
// into the literal. HEADER.FIELDS[.NOT] reads the header range and filters it in memory (headers are small).
import { Readable } from 'node:stream';
import type { Section, Partial } from '../command.js';
import type { MessageIndex } from '../../mime/types.js';
import { findPart, partRange } from '../../mime/section.js';
import { decodeTransfer } from '../../mime/transfer-decode.js';
import type { SectionKind } from '../../mime/section.js';
import { BodyLengthError, type BodyContent } from '../encoder.js';

export interface BodySource {
  blobPrefix: string;
  emailId: string;
  /** RFC822.SIZE, for sections that need no index (BODY[] and its partials). */
  size: number;
  index: MessageIndex | undefined;
  open(start: number, endInclusive: number): Promise<Readable>;
  /** The same range as bytes in memory; without it every read goes through `open`. */
  read?(start: number, endInclusive: number): Promise<Buffer>;
}

/**
 * Longest body range read into memory rather than streamed. Far above an ordinary message (a few KB), far below
 * what would matter held once per connection: a FETCH holds at most one such body plus its 64 KiB write batch.
 */
export const BUFFERED_BODY_MAX = 256 * 1024;

/** True when the section can be served without the message's cold item. */
export function needsIndexForSection(section: Section): boolean {
  return section.part.length > 0 || section.text !== undefined;
}

function kindOf(section: Section): SectionKind {
  switch (section.text?.kind) {
    case undefined:
      return 'full';
    case 'HEADER':
    case 'HEADER.FIELDS':
      return 'header';
    case 'TEXT':
      return 'text';
    case 'MIME':
      return 'mime';
  }
}

/** The bytes of a section, as a stream of a known size or an in-memory buffer; an absent part is an empty string. */
export async function sectionBody(source: BodySource, section: Section, partial: Partial | undefined): Promise<BodyContent> {
  let range: { start: number; length: number } | null;
  if (!needsIndexForSection(section)) range = { start: 0, length: source.size };
  else range = source.index ? partRange(source.index, section.part, kindOf(section)) : null;
  if (range === null) return Buffer.alloc(0);

  if (section.text?.kind === 'HEADER.FIELDS') {
    const header = await readRange(source, range.start, range.length);
    const filtered = filterHeader(header, section.text.fields, section.text.not);
    return partial ? slice(filtered, partial) : filtered;
  }
  let { start, length } = range;
  if (partial) {
    if (partial.offset >= length) return Buffer.alloc(0);
    start += partial.offset;
    length = Math.min(partial.length, length - partial.offset);
  }
  if (length === 0) return Buffer.alloc(0);
  if (source.read !== undefined && length <= BUFFERED_BODY_MAX) {
    const bytes = await source.read(start, start + length - 1);
    // The index and the size say the range exists: fewer bytes mean the store lost some, and no literal may lie.
    if (bytes.length !== length) throw new BodyLengthError(`Body read gave ${bytes.length} of ${length} bytes`);
    return bytes;
  }
  return { size: length, stream: openWhenRead(() => open(source, start, length)) };
}

/**
 * A stream that opens the blob range only when the writer starts reading it, so a FETCH of many messages (or many
 * sections of one) holds one open read at a time, and nothing is read before the socket can take it.
 */
function openWhenRead(openInner: () => Promise<Readable>): Readable {
  let inner: Readable | null = null;
  const out = new Readable({
    read() {
      if (inner) {
        inner.resume();
        return;
      }
      openInner().then(
        (stream) => {
          inner = stream;
          stream.on('data', (chunk: Buffer) => {
            if (!out.push(chunk)) stream.pause();
          });
          stream.on('end', () => out.push(null));
          stream.on('error', (err) => out.destroy(err));
        },
        (err: unknown) => out.destroy(err instanceof Error ? err : new Error(String(err))),
      );
    },
    destroy(err, callback) {
      inner?.destroy();
      callback(err);
    },
  });
  return out;
}

function open(source: BodySource, start: number, length: number): Promise<Readable> {
  return source.open(start, start + length - 1);
}

function slice(bytes: Buffer, partial: Partial): Buffer {
  if (partial.offset >= bytes.length) return Buffer.alloc(0);
  return bytes.subarray(partial.offset, Math.min(bytes.length, partial.offset + partial.length));
}

/** A range in memory: `read` when the source has it, else the stream read whole. */
async function readRange(source: BodySource, start: number, length: number): Promise<Buffer> {
  if (source.read !== undefined) return source.read(start, start + length - 1);
  return readAll(await open(source, start, length));
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/**
 * The header fields whose names are (or, with `not`, are not) in `fields`, with their continuation lines, followed
 * by the blank line that ends a header (RFC 3501 §6.4.5: "the header ... including the blank line").
 */
export function filterHeader(header: Buffer, fields: readonly string[], not: boolean): Buffer {
  const wanted = new Set(fields.map((f) => f.toLowerCase()));
  const text = header.toString('latin1'); // byte-preserving: 8-bit header bytes come back unchanged
  const lines = text.split(/(?<=\n)/);
  let out = '';
  let keep = false;
  for (const line of lines) {
    if (line === '\r\n' || line === '\n') break;
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (keep) out += line;
      continue;
    }
    const colon = line.indexOf(':');
    const name = (colon > 0 ? line.slice(0, colon) : line).trim().toLowerCase();
    keep = wanted.has(name) !== not;
    if (keep) out += line.endsWith('\n') ? line : `${line}\r\n`;
  }
  return Buffer.from(`${out}\r\n`, 'latin1');
}

/** Content-Transfer-Encodings BINARY can undo (RFC 2045 §6.1); anything else is answered NO [UNKNOWN-CTE]. */
const IDENTITY_CTE = new Set(['', '7bit', '8bit', 'binary']);
const DECODED_CTE = new Set(['base64', 'quoted-printable']);

/** The decoded content of BINARY[part] (RFC 3516 §4.2), null when the part does not exist, 'unknown-cte' when its
 * transfer encoding is not one we can decode. BINARY[] is the whole message, its body decoded by the root's CTE. */
export async function binaryBody(source: BodySource, part: readonly number[]): Promise<Buffer | null | 'unknown-cte'> {
  const index = source.index;
  if (!index) return null;
  const node = findPart(index, part);
  if (node === null) return null;
  const enc = (node.enc ?? '').trim().toLowerCase();
  if (!IDENTITY_CTE.has(enc) && !DECODED_CTE.has(enc)) return 'unknown-cte';
  const range = partRange(index, part, part.length === 0 ? 'full' : 'body');
  if (range === null) return null;
  const raw = range.length === 0 ? Buffer.alloc(0) : await readRange(source, range.start, range.length);
  if (IDENTITY_CTE.has(enc)) return raw;
  if (part.length === 0) {
    // The header stays as it is; only the body after it is decoded.
    const bodyAt = node.bs - range.start;
    return Buffer.concat([raw.subarray(0, bodyAt), decodeTransfer(raw.subarray(bodyAt), enc)]);
  }
  return decodeTransfer(raw, enc);
}

/** A partial of decoded data (RFC 3516 §4.2: the offsets refer to the DECODED section data). */
export function slicePartial(bytes: Buffer, partial: Partial | undefined): Buffer {
  return partial ? slice(bytes, partial) : bytes;
}
