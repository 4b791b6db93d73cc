// IMAP string encoding (RFC 3501 §4.3, RFC 9051 §4.3): NIL, quoted string, or literal.

/** Longest value sent as a quoted string; longer ones go as literals (servers and clients cope better). */
const MAX_QUOTED = 1024;

/** Quoted strings may hold 7-bit text without CR/LF; we also keep them to printable ASCII plus TAB for safety. */
function quotable(value: string): boolean {
  if (value.length > MAX_QUOTED) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c > 0x7e) return false;
  }
  return true;
}

/**
 * The wire form of an nstring: `NIL` for null, a quoted string with `\` and `"` escaped when the value is short
 * printable ASCII, else a literal `{n}\r\n<bytes>` where n counts UTF-8 octets (8-bit text goes as a literal).
 * The result must be written as UTF-8. NUL octets are dropped: no IMAP string may contain them (RFC 3501 §9 CHAR8).
 */
export function imapString(value: string | null): string {
  if (value === null) return 'NIL';
  if (quotable(value)) return `"${value.replace(/[\\"]/g, '\\$&')}"`;
  const clean = value.includes('\0') ? value.replace(/\0/g, '') : value;
  return `{${Buffer.byteLength(clean, 'utf8')}}\r\n${clean}`;
}
