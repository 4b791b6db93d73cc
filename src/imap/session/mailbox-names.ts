// Mailbox names between the wire (modified UTF-7, RFC 3501 §5.1.3) and the store (Unicode paths, "/" delimiter).
// A session that enabled UTF8=ACCEPT or IMAP4rev2 sends names as UTF-8 instead (RFC 6855 §3, RFC 9051 §5.1).
import { decodeMailboxName, normaliseInbox } from '../parser/mailbox-name.js';
import { bad } from '../response-codes.js';

/** The hierarchy delimiter (RFC 3501 §6.3.8). */
export const DELIMITER = '/';

/**
 * RFC 6855 §3: Net-Unicode without control characters (U+0000–U+001F, U+007F–U+009F), U+2028 or U+2029; U+FFFD is
 * what the parser made of bytes that were not UTF-8, which "MUST" be a BAD.
 */
function netUnicode(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029 || c === 0xfffd) return false;
  }
  return true;
}

export function storePath(wire: string, utf8 = false): string {
  if (utf8) {
    if (!netUnicode(wire)) throw bad('Mailbox name is not valid UTF-8 Net-Unicode');
    // RFC 9051 §5.1: a denormalised name is accepted as its NFC form, in every command alike.
    return normaliseInbox(wire.normalize('NFC'));
  }
  const decoded = decodeMailboxName(wire);
  if (decoded === null) throw bad('Mailbox name is not valid modified UTF-7');
  return normaliseInbox(decoded);
}
