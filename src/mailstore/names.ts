// Mailbox names as the store keeps them: UTF-8 paths with '/' as the hierarchy delimiter; INBOX is case-insensitive
// (RFC 3501 §5.1). The protocol decodes modified UTF-7 before it gets here.
import { MailStoreError } from './errors.js';

export const DELIMITER = '/';

export function normalizePath(raw: string): string {
  let path = raw;
  if (path.endsWith(DELIMITER)) path = path.slice(0, -1); // "foo/" names the same mailbox as "foo" (RFC 3501 §6.3.3)
  if (path.length === 0 || path.length > 512) throw new MailStoreError('BADREQUEST', 'Invalid mailbox name');
  if (path.startsWith(DELIMITER) || path.includes(DELIMITER + DELIMITER)) {
    throw new MailStoreError('BADREQUEST', 'Invalid mailbox name');
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f*%]/.test(path)) throw new MailStoreError('BADREQUEST', 'Invalid characters in mailbox name');
  const first = path.split(DELIMITER)[0]!;
  if (first.toUpperCase() === 'INBOX') path = 'INBOX' + path.slice(first.length);
  return path;
}

/** "a/b/c" → ["a", "a/b"] */
export function superiors(path: string): string[] {
  const parts = path.split(DELIMITER);
  const out: string[] = [];
  for (let i = 1; i < parts.length; i++) out.push(parts.slice(0, i).join(DELIMITER));
  return out;
}
