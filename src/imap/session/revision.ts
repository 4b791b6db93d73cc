// Which protocol rules a session follows. Both IMAP4rev1 and IMAP4rev2 are advertised, so a session follows
// RFC 3501 until it sends ENABLE IMAP4rev2 (RFC 9051 §7.2.2, Appendix A); ENABLE UTF8=ACCEPT (RFC 6855 §3) or
// rev2 (RFC 9051 §5.1: names are Net-Unicode) switches mailbox names from modified UTF-7 to UTF-8.

/** The spellings ENABLE stores (as advertised, capabilities.ts). */
export const REV2 = 'IMAP4rev2';
export const UTF8_ACCEPT = 'UTF8=ACCEPT';
export const UIDONLY = 'UIDONLY';

/** RFC 9586: no sequence numbers either way; FETCH answers are UIDFETCH, expunges VANISHED. */
export function isUidOnly(enabled: ReadonlySet<string>): boolean {
  return enabled.has(UIDONLY);
}

/** The session enabled IMAP4rev2: no \Recent, SEARCH answers ESEARCH, SELECT sends LIST (RFC 9051 Appendix E). */
export function isRev2(enabled: ReadonlySet<string>): boolean {
  return enabled.has(REV2);
}

/** Mailbox names and quoted strings travel as UTF-8 (RFC 6855 §3, RFC 9051 §5.1 and Appendix A). */
export function utf8Names(enabled: ReadonlySet<string>): boolean {
  return enabled.has(UTF8_ACCEPT) || enabled.has(REV2);
}

/**
 * Commands IMAP4rev2 removed (RFC 9051 Appendix E item 17: "Removed the CHECK command. Clients should use NOOP
 * instead."). After ENABLE IMAP4rev2 such a command is answered like any unknown command (tagged BAD); rev1 sessions
 * keep it (RFC 3501 §6.4.1). LSUB is only *deprecated* (item 19) — servers advertising both revisions still answer
 * it, as they answer the deprecated RFC822.* FETCH items (item 18) — so it is not listed here.
 */
const REMOVED_IN_REV2: ReadonlySet<string> = new Set(['CHECK']);

export function removedInSession(commandName: string, enabled: ReadonlySet<string>): boolean {
  return isRev2(enabled) && REMOVED_IN_REV2.has(commandName);
}
