// The typed result of parsing one client command: a discriminated union on `name`, one variant per command.
// The parser (src/imap/parser/) produces these; command handlers (src/imap/commands/) consume them. Nothing here
// knows about sockets or storage. Names, flags and mailbox names are decoded from the wire form but not interpreted:
// mailbox names are the raw astring (modified UTF-7 is decoded by parser/mailbox-name.ts when needed), except that
// INBOX is case-insensitive (RFC 3501 §5.1) and is always returned as "INBOX".
import type { Readable } from 'node:stream';
import type { Flag, ImapDate, ModSeq, SequenceSet } from './types.js';

interface Tagged<N extends string> {
  readonly tag: string;
  readonly name: N;
}

export type CapabilityCommand = Tagged<'CAPABILITY'>;
export type NoopCommand = Tagged<'NOOP'>;
export type LogoutCommand = Tagged<'LOGOUT'>;
export type StartTlsCommand = Tagged<'STARTTLS'>;
export type NamespaceCommand = Tagged<'NAMESPACE'>;
export type CheckCommand = Tagged<'CHECK'>;
export type CloseCommand = Tagged<'CLOSE'>;
export type UnselectCommand = Tagged<'UNSELECT'>;
/** IDLE (RFC 2177): the session sends "+ idling" and reads the DONE line with CommandReader.expectRawLine(). */
export type IdleCommand = Tagged<'IDLE'>;

/** COMPRESS (RFC 4978): the upper-cased algorithm name. */
export interface CompressCommand extends Tagged<'COMPRESS'> {
  readonly mechanism: string;
}

export interface LoginCommand extends Tagged<'LOGIN'> {
  readonly user: string;
  readonly password: string;
}

export interface AuthenticateCommand extends Tagged<'AUTHENTICATE'> {
  /** Upper-cased SASL mechanism name. */
  readonly mechanism: string;
  /**
   * SASL-IR initial response (RFC 4959) exactly as sent: base64 text, or "=" for an empty response.
   * Undefined when the client sent none; further client responses are raw lines (expectRawLine()).
   */
  readonly initialResponse?: string;
}

export interface EnableCommand extends Tagged<'ENABLE'> {
  /** Upper-cased capability names (RFC 5161). */
  readonly capabilities: readonly string[];
}

export interface IdCommand extends Tagged<'ID'> {
  /** RFC 2971: field/value pairs, or null for `ID NIL`. */
  readonly params: ReadonlyArray<readonly [string, string | null]> | null;
}

/** QRESYNC select parameter (RFC 7162 §3.2.5). */
export interface QresyncParams {
  readonly uidValidity: number;
  readonly modSeq: ModSeq;
  readonly knownUids?: SequenceSet;
  readonly seqMatch?: { readonly seqs: SequenceSet; readonly uids: SequenceSet };
}

export interface SelectCommand extends Tagged<'SELECT' | 'EXAMINE'> {
  readonly mailbox: string;
  /** CONDSTORE select parameter (RFC 7162 §3.1.8). */
  readonly condstore: boolean;
  readonly qresync?: QresyncParams;
}

export interface CreateCommand extends Tagged<'CREATE'> {
  readonly mailbox: string;
  /** CREATE-SPECIAL-USE `(USE (\Drafts ...))` (RFC 6154 §3); empty when absent. */
  readonly specialUse: readonly string[];
}

export interface MailboxCommand extends Tagged<'DELETE' | 'SUBSCRIBE' | 'UNSUBSCRIBE'> {
  readonly mailbox: string;
}

export interface RenameCommand extends Tagged<'RENAME'> {
  readonly from: string;
  readonly to: string;
}

/** A LIST return option (RFC 5258 §6, RFC 5819 STATUS); `items` only for STATUS (upper-cased). */
export interface ListReturnOption {
  readonly name: string;
  readonly items?: readonly string[];
}

export interface ListCommand extends Tagged<'LIST'> {
  readonly reference: string;
  /** One or more patterns (RFC 5258 allows a parenthesised list). */
  readonly patterns: readonly string[];
  /** Upper-cased selection options (RFC 5258 §3.1), e.g. SUBSCRIBED, REMOTE, RECURSIVEMATCH, SPECIAL-USE. */
  readonly selectionOptions: readonly string[];
  readonly returnOptions: readonly ListReturnOption[];
}

export interface LsubCommand extends Tagged<'LSUB'> {
  readonly reference: string;
  readonly pattern: string;
}

export type StatusItem =
  | 'MESSAGES'
  | 'RECENT'
  | 'UIDNEXT'
  | 'UIDVALIDITY'
  | 'UNSEEN'
  | 'DELETED'
  | 'SIZE'
  | 'HIGHESTMODSEQ'
  | 'APPENDLIMIT'
  | 'MAILBOXID';

export interface StatusCommand extends Tagged<'STATUS'> {
  readonly mailbox: string;
  readonly items: readonly StatusItem[];
}

/**
 * The message literal of an APPEND, delivered to the handler before its bytes have been read.
 *
 * Contract:
 * - `stream` yields exactly `size` bytes, and ends only after the rest of the command line has been read and found
 *   well formed; if it is not (or the connection closes), the stream errors and the handler answers BAD/aborts.
 * - When `synchronizing` is true the client waits for a continuation: the handler writes "+ Ready" (through the
 *   encoder) once it has decided to accept the message, and only then will bytes arrive.
 * - The handler must consume `stream` to its end, or give the message up with refuse() or discard(); until then
 *   the reader delivers no further command.
 *   - refuse(): before writing the continuation (mailbox missing → NO [TRYCREATE], over quota → NO [OVERQUOTA]).
 *     A synchronizing literal is then never sent by the client; a non-synchronizing one is skipped unbuffered.
 *   - discard(): after the continuation or part-way through: the remaining bytes are skipped unbuffered.
 */
export interface LiteralBody {
  readonly size: number;
  /** literal8 `~{n}` (RFC 3516 BINARY): the message may contain NUL. */
  readonly binary: boolean;
  readonly synchronizing: boolean;
  readonly stream: Readable;
  refuse(): void;
  discard(): void;
  /**
   * MULTIAPPEND (RFC 3502): settles once the line after this message has been read — the next message of the same
   * APPEND (announced, none of its bytes read yet; same obligations as this one), or null when the command ended
   * here (or the message failed, was refused or discarded). The stream ends only after this has settled.
   */
  readonly following: Promise<AppendNext | null>;
}

/** A further message of a MULTIAPPEND. */
export interface AppendNext {
  readonly flags: readonly Flag[];
  readonly internalDate?: Date;
  readonly message: LiteralBody;
}

export interface AppendCommand extends Tagged<'APPEND'> {
  readonly mailbox: string;
  /** Empty when the client gave no flag list. */
  readonly flags: readonly Flag[];
  readonly internalDate?: Date;
  readonly message: LiteralBody;
}

export interface ExpungeCommand extends Tagged<'EXPUNGE'> {
  readonly uid: boolean;
  /** UID EXPUNGE set (RFC 4315 §2.1); present exactly when `uid` is true. */
  readonly set?: SequenceSet;
}

/** SEARCH key tree (RFC 3501 §6.4.4 with RFC 7162 MODSEQ and RFC 5032 WITHIN), normalised a little:
 * ANSWERED/UNANSWERED/…/KEYWORD/UNKEYWORD become `flag`; NEW is and(\Recent, not \Seen); OLD is not \Recent;
 * the header shortcuts FROM/TO/CC/BCC/SUBJECT become `header`; a top-level or parenthesised list becomes `and`. */
export type SearchKey =
  | { readonly kind: 'all' }
  | { readonly kind: 'and'; readonly keys: readonly SearchKey[] }
  | { readonly kind: 'or'; readonly left: SearchKey; readonly right: SearchKey }
  | { readonly kind: 'not'; readonly key: SearchKey }
  | { readonly kind: 'flag'; readonly flag: Flag; readonly present: boolean }
  | { readonly kind: 'header'; readonly field: string; readonly value: string }
  | { readonly kind: 'body'; readonly value: string }
  | { readonly kind: 'text'; readonly value: string }
  | {
      readonly kind: 'date';
      /** internal = BEFORE/ON/SINCE, sent = SENTBEFORE/SENTON/SENTSINCE (Date: header),
       * saved = SAVEDBEFORE/SAVEDON/SAVEDSINCE (RFC 8514 §4.3 save date). */
      readonly field: 'internal' | 'sent' | 'saved';
      readonly op: 'before' | 'on' | 'since';
      readonly date: ImapDate;
    }
  | { readonly kind: 'size'; readonly op: 'larger' | 'smaller'; readonly size: number }
  | { readonly kind: 'seq'; readonly set: SequenceSet }
  | { readonly kind: 'uid'; readonly set: SequenceSet }
  | {
      readonly kind: 'modseq';
      readonly modSeq: ModSeq;
      /** RFC 7162 entry-name / entry-type-req, when given (e.g. "/flags/\\draft", "all"). */
      readonly entry?: { readonly name: string; readonly type: 'priv' | 'shared' | 'all' };
    }
  | { readonly kind: 'younger' | 'older'; readonly seconds: number }
  /** RFC 8514 §4.3 SAVEDATESUPPORTED. */
  | { readonly kind: 'savedatesupported' }
  /** RFC 8474 §6 EMAILID / THREADID: the object id exactly as on the wire (case-sensitive). */
  | { readonly kind: 'emailid' | 'threadid'; readonly id: string };

/** ESEARCH return options (RFC 4731 MIN/MAX/ALL/COUNT, RFC 5182 SAVE). */
export type SearchReturnOption = 'MIN' | 'MAX' | 'ALL' | 'COUNT' | 'SAVE';

export interface SearchCommand extends Tagged<'SEARCH'> {
  readonly uid: boolean;
  /** Upper-cased CHARSET argument, if any. */
  readonly charset?: string;
  /**
   * Undefined without RETURN: answer with `* SEARCH`. With RETURN: answer with `* ESEARCH`; an empty list
   * (`RETURN ()`) means ALL (RFC 4731 §3.1).
   */
  readonly returnOptions?: readonly SearchReturnOption[];
  readonly key: SearchKey;
}

/** SORT keys (RFC 5256 §3) and the display-name keys of SORT=DISPLAY (RFC 5957 §3). */
export type SortKeyName = 'ARRIVAL' | 'CC' | 'DATE' | 'FROM' | 'SIZE' | 'SUBJECT' | 'TO' | 'DISPLAYFROM' | 'DISPLAYTO';

export interface SortCriterion {
  readonly key: SortKeyName;
  /** REVERSE before the key: this criterion descending (the implicit sequence-number order is not reversed). */
  readonly reverse: boolean;
}

/** SORT / UID SORT (RFC 5256 §3): answered with `* SORT`. */
export interface SortCommand extends Tagged<'SORT'> {
  readonly uid: boolean;
  readonly criteria: readonly SortCriterion[];
  /** Upper-cased charset (mandatory for SORT). */
  readonly charset: string;
  readonly key: SearchKey;
}

export type ThreadAlgorithm = 'ORDEREDSUBJECT' | 'REFERENCES';

/** THREAD / UID THREAD (RFC 5256 §3): answered with `* THREAD`. */
export interface ThreadCommand extends Tagged<'THREAD'> {
  readonly uid: boolean;
  readonly algorithm: ThreadAlgorithm;
  /** Upper-cased charset (mandatory for THREAD). */
  readonly charset: string;
  readonly key: SearchKey;
}

/** The part of a BODY[...] section after the part path (RFC 3501 §6.4.5). */
export type SectionText =
  | { readonly kind: 'HEADER' }
  | { readonly kind: 'HEADER.FIELDS'; readonly not: boolean; readonly fields: readonly string[] }
  | { readonly kind: 'TEXT' }
  | { readonly kind: 'MIME' };

export interface Section {
  /** Part path, e.g. [1, 2] for `1.2`; empty for the whole message. */
  readonly part: readonly number[];
  readonly text?: SectionText;
}

/** `<origin.length>` (RFC 3501 §6.4.5). */
export interface Partial {
  readonly offset: number;
  readonly length: number;
}

export type FetchItem =
  | {
      readonly item:
        | 'FLAGS'
        | 'UID'
        | 'INTERNALDATE'
        | 'RFC822.SIZE'
        | 'ENVELOPE'
        | 'BODYSTRUCTURE'
        /** BODY without a section: the non-extensible body structure. */
        | 'BODY'
        | 'RFC822'
        | 'RFC822.HEADER'
        | 'RFC822.TEXT'
        | 'MODSEQ'
        | 'EMAILID'
        | 'THREADID'
        /** RFC 8514 §4.2 */
        | 'SAVEDATE';
    }
  /** RFC 8970 PREVIEW, with the LAZY modifier when given. */
  | { readonly item: 'PREVIEW'; readonly lazy: boolean }
  | { readonly item: 'BODY[]'; readonly peek: boolean; readonly section: Section; readonly partial?: Partial }
  /** RFC 3516: BINARY[part]<partial> and BINARY.PEEK. */
  | { readonly item: 'BINARY[]'; readonly peek: boolean; readonly part: readonly number[]; readonly partial?: Partial }
  | { readonly item: 'BINARY.SIZE'; readonly part: readonly number[] };

export interface FetchCommand extends Tagged<'FETCH'> {
  readonly uid: boolean;
  readonly set: SequenceSet;
  /** Items in the order given, macros (ALL/FAST/FULL) expanded (RFC 3501 §6.4.5). */
  readonly items: readonly FetchItem[];
  /** CHANGEDSINCE fetch modifier (RFC 7162 §3.1.4.1). */
  readonly changedSince?: ModSeq;
  /** VANISHED fetch modifier (RFC 7162 §3.2.6), UID FETCH only. */
  readonly vanished: boolean;
}

export interface StoreCommand extends Tagged<'STORE'> {
  readonly uid: boolean;
  readonly set: SequenceSet;
  /** FLAGS = replace, +FLAGS = add, -FLAGS = remove. */
  readonly mode: 'replace' | 'add' | 'remove';
  readonly silent: boolean;
  readonly flags: readonly Flag[];
  /** UNCHANGEDSINCE store modifier (RFC 7162 §3.1.3). */
  readonly unchangedSince?: ModSeq;
}

export interface CopyMoveCommand extends Tagged<'COPY' | 'MOVE'> {
  readonly uid: boolean;
  readonly set: SequenceSet;
  readonly mailbox: string;
}

/**
 * A well-formed tag followed by a command name the parser does not know (or `UID <unknown>`): the session answers
 * `<tag> BAD`. `verb` is upper-cased, e.g. "XYZZY" or "UID XYZZY".
 */
export interface UnknownCommand extends Tagged<'UNKNOWN'> {
  readonly verb: string;
}

/** GETQUOTA (RFC 9208 §4.1.1). */
export interface GetQuotaCommand extends Tagged<'GETQUOTA'> {
  readonly root: string;
}

/** GETQUOTAROOT (RFC 9208 §4.1.2). */
export interface GetQuotaRootCommand extends Tagged<'GETQUOTAROOT'> {
  readonly mailbox: string;
}

/** SETQUOTA (RFC 9208 §4.1.3): upper-cased resource names with their limits. */
export interface SetQuotaCommand extends Tagged<'SETQUOTA'> {
  readonly root: string;
  readonly limits: ReadonlyArray<readonly [string, number]>;
}

/** SETACL (RFC 4314 §3.1): `rights` as given, with its optional leading + or -. */
export interface SetAclCommand extends Tagged<'SETACL'> {
  readonly mailbox: string;
  readonly identifier: string;
  readonly rights: string;
}

/** DELETEACL (RFC 4314 §3.2). */
export interface DeleteAclCommand extends Tagged<'DELETEACL'> {
  readonly mailbox: string;
  readonly identifier: string;
}

/** GETACL (RFC 4314 §3.3). */
export interface GetAclCommand extends Tagged<'GETACL'> {
  readonly mailbox: string;
}

/** LISTRIGHTS (RFC 4314 §3.4). */
export interface ListRightsCommand extends Tagged<'LISTRIGHTS'> {
  readonly mailbox: string;
  readonly identifier: string;
}

/** MYRIGHTS (RFC 4314 §3.5). */
export interface MyRightsCommand extends Tagged<'MYRIGHTS'> {
  readonly mailbox: string;
}

/** NOTIFY mailbox filters (RFC 5465 §6); SUBTREE and MAILBOXES carry wire mailbox names (not yet decoded). */
export type NotifyFilter =
  | { readonly kind: 'SELECTED' | 'SELECTED-DELAYED' | 'PERSONAL' | 'INBOXES' | 'SUBSCRIBED' }
  | { readonly kind: 'SUBTREE' | 'MAILBOXES'; readonly mailboxes: readonly string[] };

/** One NOTIFY event (RFC 5465 §5): the name upper-cased as sent (event-ext = atom); `fetch` only after MessageNew. */
export interface NotifyEvent {
  readonly name: string;
  readonly fetch?: readonly FetchItem[];
}

/** `(filter events)`; an empty `events` is the NONE event specifier. */
export interface NotifyEventGroup {
  readonly filter: NotifyFilter;
  readonly events: readonly NotifyEvent[];
}

/** NOTIFY SET [STATUS] groups / NOTIFY NONE (RFC 5465 §3.1): `set` is null for NONE. */
export interface NotifyCommand extends Tagged<'NOTIFY'> {
  readonly set: { readonly status: boolean; readonly groups: readonly NotifyEventGroup[] } | null;
}

export type Command =
  | CapabilityCommand
  | NoopCommand
  | LogoutCommand
  | StartTlsCommand
  | LoginCommand
  | AuthenticateCommand
  | EnableCommand
  | IdCommand
  | SelectCommand
  | CreateCommand
  | MailboxCommand
  | RenameCommand
  | ListCommand
  | LsubCommand
  | NamespaceCommand
  | StatusCommand
  | AppendCommand
  | CheckCommand
  | CloseCommand
  | UnselectCommand
  | ExpungeCommand
  | SearchCommand
  | SortCommand
  | ThreadCommand
  | FetchCommand
  | StoreCommand
  | CopyMoveCommand
  | IdleCommand
  | CompressCommand
  | GetQuotaCommand
  | GetQuotaRootCommand
  | SetQuotaCommand
  | SetAclCommand
  | DeleteAclCommand
  | GetAclCommand
  | ListRightsCommand
  | MyRightsCommand
  | NotifyCommand
  | UnknownCommand;

export type CommandName = Command['name'];

