// Mailbox names on the wire: modified UTF-7 (RFC 3501 §5.1.3) and INBOX's case-insensitivity (RFC 3501 §5.1).
// Pure functions. Once a client enables UTF8=ACCEPT (RFC 6855) names travel as UTF-8 and these are not applied.

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,';
const BASE64_VALUE = new Map([...BASE64].map((c, i) => [c, i]));

/** UTF-16 text → modified UTF-7: printable ASCII stands for itself ("&" as "&-"), anything else is shifted. */
export function encodeMailboxName(name: string): string {
  let out = '';
  let i = 0;
  while (i < name.length) {
    const code = name.charCodeAt(i);
    if (code >= 0x20 && code <= 0x7e) {
      out += code === 0x26 ? '&-' : name[i];
      i++;
      continue;
    }
    // Collect the run of non-printable characters and encode their UTF-16 code units as modified base64.
    const units: number[] = [];
    while (i < name.length) {
      const c = name.charCodeAt(i);
      if (c >= 0x20 && c <= 0x7e) break;
      units.push(c);
      i++;
    }
    const bytes = new Uint8Array(units.length * 2);
    units.forEach((u, k) => {
      bytes[2 * k] = u >> 8;
      bytes[2 * k + 1] = u & 0xff;
    });
    let bits = 0;
    let acc = 0;
    out += '&';
    for (const b of bytes) {
      acc = (acc << 8) | b;
      bits += 8;
      while (bits >= 6) {
        bits -= 6;
        out += BASE64[(acc >> bits) & 0x3f];
      }
      acc &= (1 << bits) - 1;
    }
    if (bits > 0) out += BASE64[(acc << (6 - bits)) & 0x3f];
    out += '-';
  }
  return out;
}

/**
 * Modified UTF-7 → UTF-16 text, or null when `wire` is not a valid encoding: 8-bit or control characters,
 * an unterminated or empty shift, bad base64, leftover non-zero bits, an odd byte count, unpaired surrogates,
 * a shifted printable ASCII character, or two adjacent shifts (RFC 3501 §5.1.3 requires the shortest form).
 */
export function decodeMailboxName(wire: string): string | null {
  let out = '';
  let i = 0;
  let lastShiftEnd = -1;
  while (i < wire.length) {
    const code = wire.charCodeAt(i);
    if (code < 0x20 || code > 0x7e) return null;
    if (code !== 0x26) {
      out += wire[i];
      i++;
      continue;
    }
    const close = wire.indexOf('-', i + 1);
    if (close < 0) return null;
    if (close === i + 1) {
      out += '&';
      i += 2;
      continue;
    }
    if (lastShiftEnd === i) return null;
    let acc = 0;
    let bits = 0;
    const units: number[] = [];
    let pending = -1;
    for (let k = i + 1; k < close; k++) {
      const v = BASE64_VALUE.get(wire[k] ?? '');
      if (v === undefined) return null;
      acc = (acc << 6) | v;
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        const byte = (acc >> bits) & 0xff;
        acc &= (1 << bits) - 1;
        if (pending < 0) pending = byte;
        else {
          units.push((pending << 8) | byte);
          pending = -1;
        }
      }
    }
    if (pending >= 0 || acc !== 0 || bits >= 6) return null;
    for (let k = 0; k < units.length; k++) {
      const u = units[k] ?? 0;
      if (u >= 0x20 && u <= 0x7e) return null;
      if (u >= 0xd800 && u <= 0xdbff) {
        const lo = units[k + 1] ?? 0;
        if (lo < 0xdc00 || lo > 0xdfff) return null;
        out += String.fromCharCode(u, lo);
        k++;
      } else if (u >= 0xdc00 && u <= 0xdfff) return null;
      else out += String.fromCharCode(u);
    }
    i = close + 1;
    lastShiftEnd = i;
  }
  return out;
}

/** "INBOX" in any case is INBOX (RFC 3501 §5.1); every other name is case-sensitive and returned unchanged. */
export function normaliseInbox(name: string): string {
  return name.length === 5 && name.toUpperCase() === 'INBOX' ? 'INBOX' : name;
}
