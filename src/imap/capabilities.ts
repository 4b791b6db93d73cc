// CAPABILITY is derived from what this build implements and from the connection's state, never a hand-kept string
// (STYLE.md). Each entry names the feature it promises; add one here only together with the code that keeps it.

export interface CapabilityContext {
  authenticated: boolean;
  /** LOGIN and AUTHENTICATE PLAIN may be used on this connection (TLS, or a loopback listener). */
  plaintextAuthAllowed: boolean;
  /** IDLE is offered when the process pushes changes to idling sessions (connection.ts idleAvailable). */
  idle?: boolean;
  /** STARTTLS may run on this connection (a TLS context is configured and the connection is not yet secure). */
  startTls?: boolean;
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
  // ENABLE (RFC 5161) enables only advertised extensions that need it, see commands/enable.ts.
  'ENABLE',
  // ID (RFC 2971), NAMESPACE (RFC 2342), see commands/id.ts, namespace.ts.
  'ID',
  'NAMESPACE',
  // MOVE / UID MOVE (RFC 6851): one two-mailbox transaction per ≤48 messages, see commands/move.ts, mailstore/move.ts.
  'MOVE',
  // \HasChildren / \HasNoChildren on every LIST answer (RFC 3348), see commands/list.ts listRows.
  'CHILDREN',
  // STATUS SIZE (RFC 8438) from the exact byte counter of META, see commands/status.ts.
  'STATUS=SIZE',
  // CREATE ... (USE (\Sent)) (RFC 6154 §3), NO [USEATTR] for unknown or several uses, see commands/create.ts.
  'CREATE-SPECIAL-USE',
  // RFC 7162: MODSEQ, HIGHESTMODSEQ, FETCH CHANGEDSINCE, STORE UNCHANGEDSINCE, SEARCH MODSEQ; SELECT (QRESYNC …),
  // UID FETCH (VANISHED), VANISHED instead of EXPUNGE (commands/select.ts, fetch.ts, store.ts, session/condstore.ts).
  'CONDSTORE',
  'QRESYNC',
  // SEARCH RETURN (MIN MAX ALL COUNT SAVE) answered with ESEARCH (RFC 4731), and `$` in every command that takes a
  // sequence set (RFC 5182): commands/search.ts, MailboxView.resolve/savedUids.
  'ESEARCH',
  'SEARCHRES',
  // FETCH BINARY[…], BINARY.PEEK, BINARY.SIZE decoded from base64 / quoted-printable, literal8 for NUL, NO [UNKNOWN-CTE]
  // (RFC 3516), see commands/fetch.ts and session/fetch-body.ts binaryBody; APPEND accepts literal8 (parser).
  'BINARY',
  // LIST selection options SUBSCRIBED, REMOTE, RECURSIVEMATCH, SPECIAL-USE, return options CHILDREN, SUBSCRIBED,
  // SPECIAL-USE, several patterns, CHILDINFO (RFC 5258), RETURN (STATUS (…)) (RFC 5819): commands/list.ts.
  'LIST-EXTENDED',
  'LIST-STATUS',
  // Several messages in one APPEND, each streamed to the blob store, all committed in ONE transaction (≤ 95, else
  // NO [LIMIT]), APPENDUID with the UID range (RFC 3502): parser/command-reader.ts stepTail, commands/append.ts.
  'MULTIAPPEND',
] as const;

export function capabilities(ctx: CapabilityContext): string[] {
  const caps: string[] = [...IMPLEMENTED];
  // IDLE (RFC 2177), see commands/idle.ts: only where a mailbox cache pushes changes to idling sessions.
  if (ctx.idle) caps.push('IDLE');
  if (!ctx.authenticated) {
    // RFC 9051 §6.2.1: offered before authentication only, and never again once the connection is secure.
    if (ctx.startTls) caps.push('STARTTLS');
    // RFC 3501 §6.2.3 / §11.1: without a protected channel LOGIN is refused, and said so up front.
    if (ctx.plaintextAuthAllowed) caps.push('AUTH=PLAIN');
    else caps.push('LOGINDISABLED');
  }
  return caps;
}
