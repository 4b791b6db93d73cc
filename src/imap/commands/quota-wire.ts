// The untagged QUOTA and QUOTAROOT responses of RFC 9208 §5.1–5.2 (quota-response, quotaroot-response).
import type { ResponseOf } from '../../mailstore/api.js';
import { formatMailbox } from '../encoder.js';
import { imapString } from '../wire/string.js';

type QuotaRoot = ResponseOf<'quota.get'>;

/** `* QUOTA <root> (<resource> <usage> <limit> ...)`; a root without limits has no QUOTA response (§4.1.1). */
export function quotaData(root: QuotaRoot): string | null {
  if (root.resources.length === 0) return null;
  const list = root.resources.map((r) => `${r.name} ${r.usage} ${r.limit}`).join(' ');
  return `* QUOTA ${imapString(root.root)} (${list})\r\n`;
}

/**
 * `* QUOTAROOT <mailbox> <root>...`: only roots that carry limits are named. The name is UTF-8 when the session
 * enabled it (RFC 6855 §3), as in every other answer that carries a mailbox name.
 */
export function quotaRootData(mailbox: string, roots: readonly QuotaRoot[], utf8 = false): string {
  const names = roots.filter((r) => r.resources.length > 0).map((r) => ' ' + imapString(r.root));
  return `* QUOTAROOT ${formatMailbox(mailbox, utf8)}${names.join('')}\r\n`;
}
