// LIST/LSUB patterns (RFC 3501 §6.3.8): "*" matches anything, "%" anything but the hierarchy delimiter. Matching
// is done on wire names (modified UTF-7), like the pattern itself; INBOX matches case-insensitively (§5.1).
import { DELIMITER } from './mailbox-names.js';

export function patternMatcher(reference: string, pattern: string): (wireName: string) => boolean {
  const full = reference + pattern;
  const source = [...full]
    .map((ch) => (ch === '*' ? '.*' : ch === '%' ? `[^${DELIMITER}]*` : ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  const exact = new RegExp(`^${source}$`, 's');
  const inbox = /^inbox/i.test(full) ? new RegExp(`^${'INBOX' + source.slice(5)}$`, 's') : null;
  return (name) => exact.test(name) || (inbox !== null && (name === 'INBOX' || name.startsWith(`INBOX${DELIMITER}`)) && inbox.test(name));
}

/** Every ancestor of a path ("a/b/c" → "a", "a/b"). */
export function ancestors(path: string): string[] {
  const parts = path.split(DELIMITER);
  const out: string[] = [];
  for (let i = 1; i < parts.length; i++) out.push(parts.slice(0, i).join(DELIMITER));
  return out;
}
