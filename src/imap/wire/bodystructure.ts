// FETCH BODY and BODYSTRUCTURE wire forms (RFC 3501 §7.4.2 and §9 "body", RFC 9051 §7.5.2).
// BODYSTRUCTURE carries the extension data: for a single part body-fld-md5 SP body-fld-dsp SP body-fld-lang
// SP body-fld-loc; for a multipart body-fld-param SP body-fld-dsp SP body-fld-lang SP body-fld-loc.
import type { MimePart, Params } from '../../mime/types.js';
import { envelopeWire } from './envelope.js';
import { imapString } from './string.js';

function printableAscii(value: string): boolean {
  return /^[\x20-\x7e]*$/.test(value);
}

/** RFC 2231 §4 extended value: utf-8''percent-encoded, so a decoded non-ASCII value still travels as 7-bit text. */
function rfc2231(value: string): string {
  let out = "utf-8''";
  for (const byte of Buffer.from(value, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += /[A-Za-z0-9!#$&+\-.^_`|~]/.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** body-fld-param = "(" string SP string *(SP string SP string) ")" / nil */
function params(list: Params | null): string {
  if (list === null || list.length === 0) return 'NIL';
  const items = list.map(([name, value]) => {
    const upper = name.toUpperCase();
    // The index holds RFC 2231-decoded values; non-ASCII (or control) values are re-encoded the RFC 2231 way.
    if (printableAscii(value)) return `${imapString(upper)} ${imapString(value)}`;
    return `${imapString(`${upper}*`)} ${imapString(rfc2231(value))}`;
  });
  return `(${items.join(' ')})`;
}

/** body-fld-dsp = "(" string SP body-fld-param ")" / nil */
function disposition(part: MimePart): string {
  if (part.disp === null) return 'NIL';
  return `(${imapString(part.disp.toUpperCase())} ${params(part.dparams)})`;
}

/** body-fld-lang = nstring / "(" string *(SP string) ")" */
function language(lang: string[] | null): string {
  if (lang === null || lang.length === 0) return 'NIL';
  if (lang.length === 1) return imapString(lang[0] as string);
  return `(${lang.map((l) => imapString(l)).join(' ')})`;
}

/** body-fields = body-fld-param SP body-fld-id SP body-fld-desc SP body-fld-enc SP body-fld-octets */
function bodyFields(part: MimePart): string {
  const enc = part.enc === null ? '7BIT' : part.enc.toUpperCase();
  return `${params(part.params)} ${imapString(part.id)} ${imapString(part.desc)} ${imapString(enc)} ${part.bl}`;
}

function singlePart(part: MimePart, extended: boolean): string {
  let out = `(${imapString(part.type.toUpperCase())} ${imapString(part.sub.toUpperCase())} ${bodyFields(part)}`;
  if (part.msg !== null) {
    // body-type-msg: ... SP envelope SP body SP body-fld-lines
    out += ` ${envelopeWire(part.msg.env)} ${bodyWire(part.msg.root, extended)} ${part.lines ?? 0}`;
  } else if (part.type === 'text') {
    out += ` ${part.lines ?? 0}`; // body-type-text: ... SP body-fld-lines
  }
  if (extended) {
    out += ` ${imapString(part.md5)} ${disposition(part)} ${language(part.lang)} ${imapString(part.loc)}`;
  }
  return `${out})`;
}

function multiPart(part: MimePart, children: readonly MimePart[], extended: boolean): string {
  // body-type-mpart = 1*body SP media-subtype [SP body-ext-mpart] — the bodies are not separated by spaces.
  let out = `(${children.map((c) => bodyWire(c, extended)).join('')} ${imapString(part.sub.toUpperCase())}`;
  if (extended) {
    out += ` ${params(part.params)} ${disposition(part)} ${language(part.lang)} ${imapString(part.loc)}`;
  }
  return `${out})`;
}

/**
 * The wire text of a part tree: BODYSTRUCTURE when `extended`, else the non-extensible BODY form.
 * Pass `index.root` for the message. Literals in the result count UTF-8 octets; write the string as UTF-8.
 */
export function bodyWire(part: MimePart, extended: boolean): string {
  if (part.parts !== null && part.parts.length > 0) return multiPart(part, part.parts, extended);
  return singlePart(part, extended);
}

export function bodystructureWire(root: MimePart): string {
  return bodyWire(root, true);
}

export function bodyNonExtensibleWire(root: MimePart): string {
  return bodyWire(root, false);
}
