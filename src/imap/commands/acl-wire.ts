// The untagged ACL, LISTRIGHTS and MYRIGHTS responses of RFC 4314 §3.6–3.8 (acl-data, listrights-data,
// myrights-data in §7). Identifiers and rights are astrings: an empty rights set goes as "".
import type { ResponseOf } from '../../mailstore/api.js';
import { formatMailbox } from '../encoder.js';
import { imapString } from '../wire/string.js';

/** `* ACL <mailbox> <identifier> <rights> ...` */
export function aclData(mailbox: string, entries: ResponseOf<'acl.get'>['entries'], utf8: boolean): string {
  const pairs = entries.map((e) => ` ${imapString(e.identifier)} ${imapString(e.rights)}`).join('');
  return `* ACL ${formatMailbox(mailbox, utf8)}${pairs}\r\n`;
}

/** `* LISTRIGHTS <mailbox> <identifier> <required> <optional> ...` */
export function listRightsData(mailbox: string, answer: ResponseOf<'acl.listRights'>, utf8: boolean): string {
  const optional = answer.optional.map((r) => ` ${imapString(r)}`).join('');
  return `* LISTRIGHTS ${formatMailbox(mailbox, utf8)} ${imapString(answer.identifier)} ${imapString(answer.required)}${optional}\r\n`;
}

/** `* MYRIGHTS <mailbox> <rights>` */
export function myRightsData(mailbox: string, rights: string, utf8: boolean): string {
  return `* MYRIGHTS ${formatMailbox(mailbox, utf8)} ${imapString(rights)}\r\n`;
}
