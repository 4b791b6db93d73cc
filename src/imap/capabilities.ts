// CAPABILITY is derived from what this build implements and from the connection's state, never a hand-kept string
// (STYLE.md). Each entry names the feature it promises; add one here only together with the code that keeps it.

export interface CapabilityContext {
  authenticated: boolean;
  /** LOGIN and AUTHENTICATE PLAIN may be used on this connection (TLS, or a loopback listener). */
  plaintextAuthAllowed: boolean;
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
] as const;

export function capabilities(ctx: CapabilityContext): string[] {
  const caps: string[] = [...IMPLEMENTED];
  if (!ctx.authenticated) {
    // RFC 3501 §6.2.3 / §11.1: without a protected channel LOGIN is refused, and said so up front.
    if (ctx.plaintextAuthAllowed) caps.push('AUTH=PLAIN');
    else caps.push('LOGINDISABLED');
  }
  return caps;
}
