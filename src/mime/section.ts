// Resolving an IMAP section (RFC 3501 §6.4.5, RFC 9051 §6.4.5) to a byte range of the raw message, so that
// FETCH BODY[...] is one ranged blob read. HEADER.FIELDS[.NOT] use the 'header' range and filter it.
import type { MessageIndex, MimePart } from './types.js';

/**
 * - 'full':   BODY[<path>] — the whole message for [], else the part's body (for message/rfc822: the whole
 *             encapsulated message; for a multipart: its body with boundaries)
 * - 'header': BODY[<path>.HEADER] — the header of the message at [] or of the message/rfc822 part at path
 * - 'text':   BODY[<path>.TEXT] — the body of the message at [] or of the message/rfc822 part at path
 * - 'mime':   BODY[<path>.MIME] — the MIME header block of the part (not defined for [])
 * - 'body':   the part's content octets (what BINARY[<path>] decodes): like 'full', but the message body for []
 */
export type SectionKind = 'full' | 'header' | 'text' | 'mime' | 'body';

export interface ByteRange {
  start: number;
  length: number;
}

/** Child number k (1-based) of a message: a multipart's k-th part, or for a non-multipart message its body (k=1). */
function messageChild(root: MimePart, k: number): MimePart | null {
  if (root.parts !== null) return root.parts[k - 1] ?? null;
  return k === 1 ? root : null;
}

/**
 * The part addressed by an IMAP part number (e.g. [2, 1] for "2.1"), or null if it does not exist.
 * [] addresses the message itself (its root). A message/rfc822 part's sub-parts are those of the inner message.
 */
export function findPart(index: MessageIndex, path: readonly number[]): MimePart | null {
  let node: MimePart = index.root;
  for (let i = 0; i < path.length; i++) {
    const k = path[i] as number;
    if (!Number.isInteger(k) || k < 1) return null;
    let next: MimePart | null;
    if (i === 0) next = messageChild(index.root, k);
    else if (node.parts !== null) next = node.parts[k - 1] ?? null;
    else if (node.msg !== null) next = messageChild(node.msg.root, k);
    else next = null;
    if (next === null) return null;
    node = next;
  }
  return node;
}

function range(start: number, length: number): ByteRange {
  return { start, length };
}

/** Byte range of a section in the raw message, or null when the part or the section does not exist. */
export function partRange(index: MessageIndex, path: readonly number[], kind: SectionKind): ByteRange | null {
  const part = findPart(index, path);
  if (part === null) return null;
  if (path.length === 0) {
    switch (kind) {
      case 'full':
        return range(0, index.size);
      case 'header':
        return range(part.hs, part.hl);
      case 'text':
      case 'body':
        return range(part.bs, part.bl);
      case 'mime':
        return null;
    }
  }
  switch (kind) {
    case 'full':
    case 'body':
      return range(part.bs, part.bl);
    case 'mime':
      return range(part.hs, part.hl);
    case 'header':
      return part.msg === null ? null : range(part.msg.root.hs, part.msg.root.hl);
    case 'text':
      return part.msg === null ? null : range(part.msg.root.bs, part.msg.root.bl);
  }
}
