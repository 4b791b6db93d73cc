// A lenient RFC 5322 §3.4 address-list parser producing IMAP ENVELOPE addresses (RFC 3501 §7.4.2). It keeps the raw
// display-name text (RFC 2047 encoded words stay encoded, as ENVELOPE requires), accepts the obsolete forms
// (routes, unquoted dots in phrases, CFWS between local-part words) and never throws.
import type { Address } from './types.js';

/** What Dovecot puts in place of a missing local part / domain, so that host is never NIL outside group syntax. */
export const MISSING_MAILBOX = 'MISSING_MAILBOX';
export const MISSING_DOMAIN = 'MISSING_DOMAIN';

type TokenKind = 'atom' | 'quoted' | 'literal' | 'special';

interface Token {
  kind: TokenKind;
  /** atom text, quoted-string content (unescaped), domain literal with brackets, or the special character */
  text: string;
  /** source text of the token (quoted strings with their quotes and escapes) */
  raw: string;
  /** whitespace or a comment came before this token */
  spaced: boolean;
}

interface Tokens {
  tokens: Token[];
  /** contents of comments, in order; the first may serve as a display name for `addr (Name)` */
  comments: { text: string; before: number }[];
}

const SPECIALS = '<>,:;@[]\\"()';

function isWsp(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\n';
}

function tokenize(input: string): Tokens {
  const tokens: Token[] = [];
  const comments: { text: string; before: number }[] = [];
  let spaced = false;
  let i = 0;
  const n = input.length;
  while (i < n) {
    const c = input[i] as string;
    if (isWsp(c)) {
      spaced = true;
      i++;
    } else if (c === '(') {
      // Comments nest (RFC 5322 §3.2.2); an unclosed one runs to the end.
      let depth = 1;
      let text = '';
      i++;
      while (i < n && depth > 0) {
        const d = input[i] as string;
        if (d === '\\' && i + 1 < n) {
          text += input[i + 1];
          i += 2;
          continue;
        }
        if (d === '(') depth++;
        else if (d === ')') depth--;
        if (depth > 0) text += d;
        i++;
      }
      comments.push({ text: text.trim(), before: tokens.length });
      spaced = true;
    } else if (c === '"') {
      const start = i;
      let text = '';
      i++;
      while (i < n && input[i] !== '"') {
        if (input[i] === '\\' && i + 1 < n) {
          text += input[i + 1];
          i += 2;
        } else {
          text += input[i];
          i++;
        }
      }
      i = Math.min(i + 1, n);
      tokens.push({ kind: 'quoted', text, raw: input.slice(start, i), spaced });
      spaced = false;
    } else if (c === '[') {
      const close = input.indexOf(']', i);
      const end = close < 0 ? n : close + 1;
      const raw = input.slice(i, end);
      tokens.push({ kind: 'literal', text: raw, raw, spaced });
      i = end;
      spaced = false;
    } else if (SPECIALS.includes(c)) {
      tokens.push({ kind: 'special', text: c, raw: c, spaced });
      i++;
      spaced = false;
    } else {
      const start = i;
      while (i < n) {
        const d = input[i] as string;
        if (isWsp(d) || SPECIALS.includes(d)) break;
        i++;
      }
      const raw = input.slice(start, i);
      tokens.push({ kind: 'atom', text: raw, raw, spaced });
      spaced = false;
    }
  }
  return { tokens, comments };
}

function isSpecial(t: Token | undefined, c: string): boolean {
  return t !== undefined && t.kind === 'special' && t.text === c;
}

/** A phrase (display name, group name): words joined by one space where the source had whitespace. */
function phrase(tokens: readonly Token[]): string {
  let out = '';
  for (const t of tokens) {
    if (out !== '' && t.spaced) out += ' ';
    out += t.text;
  }
  return out;
}

/** Local part or domain: words joined as written; CFWS between words is dropped except inside atoms' gaps. */
function addrText(tokens: readonly Token[]): string {
  let out = '';
  let prev: Token | null = null;
  for (const t of tokens) {
    const dotJoin = prev === null || t.text.startsWith('.') || prev.text.endsWith('.');
    if (prev !== null && t.spaced && !dotJoin) out += ' ';
    out += t.kind === 'quoted' ? t.raw : t.text;
    prev = t;
  }
  return out;
}

/** Splits an addr-spec at its last "@" into mailbox and host. */
function addrSpec(tokens: readonly Token[]): { mailbox: string; host: string } {
  let at = -1;
  for (let i = tokens.length - 1; i >= 0; i--) {
    if (isSpecial(tokens[i], '@')) {
      at = i;
      break;
    }
  }
  const local = (at < 0 ? tokens : tokens.slice(0, at)).filter((t) => t.kind !== 'special');
  const domain = at < 0 ? [] : tokens.slice(at + 1).filter((t) => t.kind !== 'special');
  const mailbox = addrText(local);
  const host = addrText(domain);
  return { mailbox: mailbox === '' ? MISSING_MAILBOX : mailbox, host: host === '' ? MISSING_DOMAIN : host };
}

/** One mailbox (name-addr or addr-spec) from the tokens between separators; null when there is nothing in it. */
function mailbox(tokens: readonly Token[], comments: Tokens['comments'], from: number, to: number): Address | null {
  const slice = tokens.slice(from, to);
  if (slice.length === 0) return null;
  const open = slice.findIndex((t) => isSpecial(t, '<'));
  if (open >= 0) {
    let close = slice.findIndex((t, i) => i > open && isSpecial(t, '>'));
    if (close < 0) close = slice.length;
    const name = phrase(slice.slice(0, open).filter((t) => t.kind !== 'special'));
    let inner = slice.slice(open + 1, close);
    // Obsolete route (RFC 5322 §4.4): "<@a,@b:user@host>"; the adl is everything before the last ":".
    let adl: string | null = null;
    let colon = -1;
    for (let i = inner.length - 1; i >= 0; i--) {
      if (isSpecial(inner[i], ':')) {
        colon = i;
        break;
      }
    }
    if (colon >= 0) {
      adl = inner
        .slice(0, colon)
        .map((t) => t.raw)
        .join('');
      inner = inner.slice(colon + 1);
      if (adl === '') adl = null;
    }
    const spec = addrSpec(inner);
    return { name: name === '' ? null : name, adl, mailbox: spec.mailbox, host: spec.host };
  }
  const spec = addrSpec(slice);
  // "user@host (Real Name)": the old convention puts the name in a comment.
  const comment = comments.find((c) => c.before >= from && c.before <= to && c.text !== '');
  return { name: comment?.text ?? null, adl: null, mailbox: spec.mailbox, host: spec.host };
}

/**
 * Parses an address-list header value. Groups become the IMAP group markers. Returns null when there is no address
 * at all (so that ENVELOPE says NIL).
 */
export function parseAddressList(value: string | null): Address[] | null {
  if (value === null) return null;
  const { tokens, comments } = tokenize(value);
  const out: Address[] = [];
  let inGroup = false;
  let start = 0;
  let angle = false;
  let sawAddressChar = false;
  for (let i = 0; i <= tokens.length; i++) {
    const t = tokens[i];
    if (t !== undefined && t.kind === 'special') {
      if (t.text === '<') angle = true;
      else if (t.text === '>') angle = false;
      if (t.text === '<' || t.text === '@') sawAddressChar = true;
      if (angle) continue;
      if (t.text === ':' && !inGroup && !sawAddressChar) {
        const group = phrase(tokens.slice(start, i).filter((g) => g.kind !== 'special'));
        out.push({ name: null, adl: null, mailbox: group, host: null });
        inGroup = true;
        start = i + 1;
        continue;
      }
      if (t.text !== ',' && !(t.text === ';' && inGroup)) continue;
    } else if (t !== undefined) {
      continue;
    }
    const addr = mailbox(tokens, comments, start, i);
    if (addr !== null) out.push(addr);
    if (t !== undefined && t.text === ';') {
      out.push({ name: null, adl: null, mailbox: null, host: null });
      inGroup = false;
    }
    start = i + 1;
    angle = false;
    sawAddressChar = false;
  }
  if (inGroup) out.push({ name: null, adl: null, mailbox: null, host: null });
  return out.length > 0 ? out : null;
}
