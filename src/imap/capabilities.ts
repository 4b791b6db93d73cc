// CAPABILITY is derived from what this build implements and from the connection's state, never a hand-kept string
// (STYLE.md). Each entry names the feature it promises; add one here only together with the code that keeps it.

export interface CapabilityContext {
  authenticated: boolean;
  /** LOGIN and AUTHENTICATE PLAIN may be used on this connection (TLS, or a loopback listener). */
  plaintextAuthAllowed: boolean;
  /** IDLE is offered when the process pushes changes to idling sessions (connection.ts idleAvailable). */
  idle?: boolean;
}

/** Implemented features, in the order they are advertised. */
const IMPLEMENTED = [
  'IMAP4rev1',
  // The command reader accepts non-synchronizing literals `{n+}` (RFC 7888 §3).
  'LITERAL+',
  // AUTHENTICATE with an initial response (RFC 4959), see commands/authenticate.ts.
  'SASL-IR',
  // APPENDUID, COPYUID and UID EXPUNGE (RFC 4315), see commands/append.ts, copy.ts, expunge.ts.
  'UIDPLUS',
  // UNSELECT (RFC 3691), see commands/unselect.ts.
  'UNSELECT',
  // LIST returns \Sent, \Drafts … (RFC 6154 §2), see commands/list.ts.
  'SPECIAL-USE',
  // RFC 9208: GETQUOTA, GETQUOTAROOT, SETQUOTA (commands/getquota.ts, getquotaroot.ts, setquota.ts); the three
  // resources are enforced in the mail store (APPEND/COPY: STORAGE, MESSAGE; CREATE: MAILBOX); STATUS DELETED exists.
  'QUOTA',
  'QUOTA=RES-STORAGE',
  'QUOTA=RES-MESSAGE',
  'QUOTA=RES-MAILBOX',
  'QUOTASET',
] as const;

export function capabilities(ctx: CapabilityContext): string[] {
  const caps: string[] = [...IMPLEMENTED];
  // IDLE (RFC 2177), see commands/idle.ts: only where a mailbox cache pushes changes to idling sessions.
  if (ctx.idle) caps.push('IDLE');
  if (!ctx.authenticated) {
    // RFC 3501 §6.2.3 / §11.1: without a protected channel LOGIN is refused, and said so up front.
    if (ctx.plaintextAuthAllowed) caps.push('AUTH=PLAIN');
    else caps.push('LOGINDISABLED');
  }
  return caps;
}
