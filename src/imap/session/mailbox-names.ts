// Mailbox names between the wire (modified UTF-7, RFC 3501 §5.1.3) and the store (Unicode paths, "/" delimiter).
import { decodeMailboxName, normaliseInbox } from '../parser/mailbox-name.js';
import { bad } from '../response-codes.js';

/** The hierarchy delimiter (RFC 3501 §6.3.8). */
export const DELIMITER = '/';

export function storePath(wire: string): string {
  const decoded = decodeMailboxName(wire);
  if (decoded === null) throw bad('Mailbox name is not valid modified UTF-7');
  return normaliseInbox(decoded);
}
