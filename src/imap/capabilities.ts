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
  /** The largest message APPEND accepts, advertised as APPENDLIMIT=<n> (RFC 7889 §3). */
  appendLimit?: number;
  /** OAUTHBEARER bearer tokens are verified (STRATUS_OAUTH_ISSUER and a JWKS configured). */
  oauth?: boolean;
  /** NOTIFY is offered when the process has a notify hub besides the mailbox cache (connection.ts notifyAvailable). */
  notify?: boolean;
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
  // RFC 4314: SETACL, DELETEACL, GETACL, LISTRIGHTS, MYRIGHTS (commands/setacl.ts …); every right of the §4 table is
  // enforced in the mail store (mailstore/acl.ts), READ-ONLY on SELECT without i/e/s/w/t (commands/select.ts).
  'ACL',
  'RIGHTS=texk',
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
  // SEARCH OLDER / YOUNGER against the internal date, to the second (RFC 5032): session/search-evaluator.ts.
  'WITHIN',
  // FETCH SAVEDATE, SEARCH SAVEDBEFORE / SAVEDON / SAVEDSINCE / SAVEDATESUPPORTED (RFC 8514): the hot item's save date
  // set by APPEND, COPY, MOVE and delivery (mailstore/messages.ts, move.ts), commands/fetch.ts, search-evaluator.ts.
  'SAVEDATE',
  // MAILBOXID on SELECT / EXAMINE / CREATE / STATUS, FETCH and SEARCH EMAILID / THREADID (RFC 8474): wire/object-id.ts,
  // mime/thread.ts (THREADID from the References root), mailstore/thread-ids.ts (In-Reply-To chains, §5.2).
  'OBJECTID',
  // FETCH PREVIEW and PREVIEW (LAZY) from the preview kept in the cold item (RFC 8970): commands/fetch.ts.
  'PREVIEW',
  // LIST selection options SUBSCRIBED, REMOTE, RECURSIVEMATCH, SPECIAL-USE, return options CHILDREN, SUBSCRIBED,
  // SPECIAL-USE, several patterns, CHILDINFO (RFC 5258), RETURN (STATUS (…)) (RFC 5819): commands/list.ts.
  'LIST-EXTENDED',
  'LIST-STATUS',
  // Several messages in one APPEND, each streamed to the blob store, all committed in ONE transaction (≤ 95, else
  // NO [LIMIT]), APPENDUID with the UID range (RFC 3502): parser/command-reader.ts stepTail, commands/append.ts.
  'MULTIAPPEND',
  // COMPRESS DEFLATE (RFC 4978) in authenticated state: commands/compress.ts, deflate-channel.ts, connection.ts.
  'COMPRESS=DEFLATE',
  // ENABLE UTF8=ACCEPT (RFC 6855): UTF-8 mailbox names and quoted strings, APPEND UTF8 (~{n}); session/revision.ts,
  // session/mailbox-names.ts storePath, encoder.ts formatMailbox, parser/parse-command.ts appendOptions.
  'UTF8=ACCEPT',
  // ENABLE UIDONLY (RFC 9586): sequence numbers are BAD [UIDREQUIRED] (session/uidonly.ts), FETCH answers are
  // UIDFETCH, expunges VANISHED (session/mailbox-view.ts vanishes, updates.ts, commands/fetch.ts, store.ts).
  'UIDONLY',
  // SORT / UID SORT with DISPLAYFROM and DISPLAYTO (RFC 5256, RFC 5957), THREAD / UID THREAD with both algorithms
  // (RFC 5256): commands/sort.ts, thread.ts; session/base-subject.ts, sort-keys.ts, threading.ts.
  'SORT',
  'SORT=DISPLAY',
  'THREAD=ORDEREDSUBJECT',
  'THREAD=REFERENCES',
] as const;

export function capabilities(ctx: CapabilityContext): string[] {
  const caps: string[] = [...IMPLEMENTED];
  // IMAP4rev2 (RFC 9051) next to rev1: a session follows rev2 after ENABLE IMAP4rev2 (session/revision.ts). Rev2
  // folds IDLE into the base, so it is offered only where IDLE is. Its LITERAL- is met by LITERAL+, and RFC 7888 §5
  // forbids advertising both.
  if (ctx.idle) caps.splice(1, 0, 'IMAP4rev2');
  // IDLE (RFC 2177), see commands/idle.ts: only where a mailbox cache pushes changes to idling sessions.
  if (ctx.idle) caps.push('IDLE');
  // NOTIFY (RFC 5465): SELECTED / SELECTED-DELAYED, PERSONAL, INBOXES, SUBSCRIBED, SUBTREE, MAILBOXES; MessageNew (with
  // FETCH attributes), MessageExpunge, FlagChange, MailboxName, SubscriptionChange; sent between commands too
  // (commands/notify.ts, session/notify-session.ts, notify-hub.ts; mailstore/user-hint.ts for mailbox names).
  if (ctx.notify) caps.push('NOTIFY');
  // RFC 7889: larger APPENDs get NO [TOOBIG] (parser/command-reader.ts, commands/append.ts).
  if (ctx.appendLimit !== undefined) caps.push(`APPENDLIMIT=${ctx.appendLimit}`);
  if (!ctx.authenticated) {
    // RFC 9051 §6.2.1: offered before authentication only, and never again once the connection is secure.
    if (ctx.startTls) caps.push('STARTTLS');
    // SASL mechanisms, commands/authenticate.ts. PLAIN, LOGIN and OAUTHBEARER hand over a reusable secret (a
    // password; a bearer token, for which RFC 7628 §3 says TLS MUST be used), so they follow the plaintext policy.
    // SCRAM-SHA-256 never reveals the password and proves the server too (RFC 5802 §9): offered before TLS as well.
    if (ctx.plaintextAuthAllowed) caps.push('AUTH=PLAIN', 'AUTH=LOGIN');
    caps.push('AUTH=SCRAM-SHA-256');
    if (ctx.plaintextAuthAllowed && ctx.oauth) caps.push('AUTH=OAUTHBEARER');
    // RFC 3501 §6.2.3 / §11.1: without a protected channel LOGIN is refused, and said so up front.
    if (!ctx.plaintextAuthAllowed) caps.push('LOGINDISABLED');
  }
  return caps;
}
