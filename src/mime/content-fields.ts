// The MIME content header fields of one entity (RFC 2045 §5–§8, RFC 2183, RFC 3282, RFC 2557), parsed leniently.
import libmime from 'libmime';
import type { HeaderField } from './header-block.js';
import { firstField } from './header-block.js';
import type { Params } from './types.js';

export interface ContentFields {
  type: string;
  sub: string;
  params: Params | null;
  id: string | null;
  desc: string | null;
  enc: string | null;
  md5: string | null;
  disp: string | null;
  dparams: Params | null;
  lang: string[] | null;
  loc: string | null;
}

/** RFC 2045 §5.1 token: any US-ASCII except SPACE, CTLs and tspecials. */
const TOKEN = /^[!#$%&'*+\-.^_`{|}~0-9A-Za-z]+$/;

function nonEmpty(value: string | null): string | null {
  if (value === null) return null;
  const v = value.trim();
  return v === '' ? null : v;
}

function toParams(params: Record<string, string>): Params | null {
  const out: Params = [];
  for (const [name, value] of Object.entries(params)) {
    if (name === '') continue;
    out.push([name.toLowerCase(), value]);
  }
  return out.length > 0 ? out : null;
}

function parseStructured(value: string): { value: string; params: Params | null } {
  try {
    const parsed = libmime.parseHeaderValue(value, { stripComments: true });
    return { value: parsed.value.trim(), params: toParams(parsed.params) };
  } catch {
    return { value: value.split(';')[0]?.trim() ?? '', params: null };
  }
}

/** Content-Language (RFC 3282): a comma-separated list of language tags, comments allowed. */
function parseLanguages(value: string | null): string[] | null {
  if (value === null) return null;
  const tags = value
    .replace(/\([^()]*\)/g, ' ')
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  return tags.length > 0 ? tags : null;
}

/**
 * Parses the Content-* fields. `defaultType` is what a missing or invalid Content-Type means here: text/plain with
 * charset us-ascii normally (RFC 2045 §5.2), message/rfc822 inside multipart/digest (RFC 2046 §5.1.5).
 */
export function parseContentFields(fields: readonly HeaderField[], digestChild: boolean): ContentFields {
  let type = digestChild ? 'message' : 'text';
  let sub = digestChild ? 'rfc822' : 'plain';
  let params: Params | null = digestChild ? null : [['charset', 'us-ascii']];

  const ct = firstField(fields, 'content-type');
  if (ct !== null) {
    const parsed = parseStructured(ct);
    const slash = parsed.value.indexOf('/');
    const t = slash > 0 ? parsed.value.slice(0, slash).trim() : '';
    const s = slash > 0 ? parsed.value.slice(slash + 1).trim() : '';
    // A syntactically invalid Content-Type means the default, parameters included (RFC 2045 §5.2).
    if (TOKEN.test(t) && TOKEN.test(s)) {
      type = t.toLowerCase();
      sub = s.toLowerCase();
      params = parsed.params;
    }
  }

  // RFC 2045 §5.2: a text type without a charset parameter is us-ascii; say so explicitly, as Dovecot does.
  if (type === 'text' && param(params, 'charset') === null) params = [['charset', 'us-ascii'], ...(params ?? [])];

  let disp: string | null = null;
  let dparams: Params | null = null;
  const cd = firstField(fields, 'content-disposition');
  if (cd !== null) {
    const parsed = parseStructured(cd);
    if (parsed.value !== '') {
      disp = parsed.value.toLowerCase();
      dparams = parsed.params;
    }
  }

  return {
    type,
    sub,
    params,
    id: nonEmpty(firstField(fields, 'content-id')),
    desc: nonEmpty(firstField(fields, 'content-description')),
    enc: nonEmpty(firstField(fields, 'content-transfer-encoding')),
    md5: nonEmpty(firstField(fields, 'content-md5')),
    disp,
    dparams,
    lang: parseLanguages(firstField(fields, 'content-language')),
    loc: nonEmpty(firstField(fields, 'content-location')),
  };
}

/** Value of a parameter (names are lower-case), or null. */
export function param(params: Params | null, name: string): string | null {
  if (params === null) return null;
  for (const [n, v] of params) if (n === name) return v;
  return null;
}
