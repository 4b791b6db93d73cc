// The only place IMAP responses are serialised (RFC 3501 §7, RFC 9051 §7). Command handlers describe responses
// with typed values; the functions here turn them into wire text. Everything is pure except ImapWriter, which
// writes finished responses to the socket in order, honouring backpressure, and streams FETCH bodies as literals
// without buffering them.
//
// Strings go through imapString (wire/string.ts: quoted, literal or NIL); mailbox names are modified UTF-7
// encoded first (RFC 3501 §5.1.3) unless the client enabled UTF8=ACCEPT (RFC 6855 §3).
import type { Readable, Writable } from 'node:stream';
import { encodeMailboxName } from './parser/mailbox-name.js';
import { imapString } from './wire/string.js';
import type { Section, StatusItem } from './command.js';

const CRLF = '\r\n';

// ---------------------------------------------------------------- response codes and status responses

/**
 * A response code (RFC 3501 §7.1, RFC 4315, RFC 5530, RFC 7162, RFC 4469/7889). Codes without arguments
 * (ALERT, PARSE, READ-ONLY, READ-WRITE, TRYCREATE, TOOBIG, NOMODSEQ, CLOSED, OVERQUOTA, NONEXISTENT, …) are plain
 * strings; codes with arguments are objects.
 */
export type ResponseCodeValue =
  | string
  | { readonly code: 'UIDVALIDITY' | 'UIDNEXT' | 'UNSEEN' | 'HIGHESTMODSEQ' | 'APPENDLIMIT'; readonly value: number }
  | { readonly code: 'PERMANENTFLAGS'; readonly flags: readonly string[] }
  | { readonly code: 'CAPABILITY'; readonly capabilities: readonly string[] }
  | { readonly code: 'BADCHARSET'; readonly charsets: readonly string[] }
  | { readonly code: 'APPENDUID'; readonly uidValidity: number; readonly uids: readonly number[] }
  | { readonly code: 'COPYUID'; readonly uidValidity: number; readonly source: readonly number[]; readonly destination: readonly number[] }
  | { readonly code: 'MODIFIED'; readonly numbers: readonly number[] }
  | { readonly code: 'MAILBOXID'; readonly id: string };

export function formatResponseCode(code: ResponseCodeValue): string {
  if (typeof code === 'string') return code;
  switch (code.code) {
    case 'UIDVALIDITY':
    case 'UIDNEXT':
    case 'UNSEEN':
    case 'HIGHESTMODSEQ':
    case 'APPENDLIMIT':
      return `${code.code} ${code.value}`;
    case 'PERMANENTFLAGS':
      return `PERMANENTFLAGS (${code.flags.join(' ')})`;
    case 'CAPABILITY':
      return `CAPABILITY ${code.capabilities.join(' ')}`;
    case 'BADCHARSET':
      return code.charsets.length === 0 ? 'BADCHARSET' : `BADCHARSET (${code.charsets.map(imapString).join(' ')})`;
    case 'APPENDUID':
      return `APPENDUID ${code.uidValidity} ${formatSequenceSet(code.uids)}`;
    case 'COPYUID':
      // RFC 4315 §3: the two sets correspond pairwise, so they are listed in order, not compressed after sorting.
      return `COPYUID ${code.uidValidity} ${formatOrderedSet(code.source)} ${formatOrderedSet(code.destination)}`;
    case 'MODIFIED':
      return `MODIFIED ${formatSequenceSet(code.numbers)}`;
    case 'MAILBOXID':
      return `MAILBOXID (${code.id})`;
  }
}

export type Status = 'OK' | 'NO' | 'BAD' | 'BYE' | 'PREAUTH';

/** resp-text may not contain CR or LF, and must not look like a response code when none is given. */
function respText(text: string, hasCode: boolean): string {
  const clean = text.replace(/[\r\n\0]+/g, ' ');
  if (!hasCode && clean.startsWith('[')) return ` ${clean}`;
  return clean;
}

/** `<tag|*> <status> [<code>] <text>\r\n` (RFC 3501 §7.1 "resp-cond-state", "resp-cond-bye", "resp-cond-auth"). */
export function statusResponse(tag: string | null, status: Status, text: string, code?: ResponseCodeValue): string {
  const codePart = code === undefined ? '' : `[${formatResponseCode(code)}] `;
  return `${tag ?? '*'} ${status} ${codePart}${respText(text || status, code !== undefined)}${CRLF}`;
}

/** `+ <text>\r\n` (RFC 3501 §7.5); `text` may be base64 for AUTHENTICATE challenges. */
export function continuation(text = 'Ready'): string {
  return `+ ${text.replace(/[\r\n]+/g, ' ')}${CRLF}`;
}

// ---------------------------------------------------------------- small values

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad2 = (n: number): string => String(n).padStart(2, '0');

/**
 * IMAP date-time `"17-Jul-1996 02:44:25 -0700"` (RFC 3501 §9 "date-time"), quoted. `offsetMinutes` is the zone
 * to show the instant in (east of UTC positive); 0 gives +0000.
 */
export function formatDateTime(date: Date, offsetMinutes = 0): string {
  const shifted = new Date(date.getTime() + offsetMinutes * 60_000);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  const zone = `${sign}${pad2(Math.floor(abs / 60))}${pad2(abs % 60)}`;
  const day = pad2(shifted.getUTCDate());
  const month = MONTHS[shifted.getUTCMonth()] ?? 'Jan';
  const time = `${pad2(shifted.getUTCHours())}:${pad2(shifted.getUTCMinutes())}:${pad2(shifted.getUTCSeconds())}`;
  return `"${day}-${month}-${shifted.getUTCFullYear()} ${time} ${zone}"`;
}

/** Numbers → compact sequence-set `1:3,7,9:10`, sorted and deduplicated. */
export function formatSequenceSet(numbers: readonly number[]): string {
  return formatOrderedSet([...new Set(numbers)].sort((a, b) => a - b));
}

/** Numbers → sequence-set keeping their order; consecutive ascending runs become ranges. */
export function formatOrderedSet(numbers: readonly number[]): string {
  const out: string[] = [];
  let i = 0;
  while (i < numbers.length) {
    const start = numbers[i] ?? 0;
    let end = start;
    while (numbers[i + 1] === end + 1) {
      end++;
      i++;
    }
    out.push(start === end ? String(start) : `${start}:${end}`);
    i++;
  }
  return out.join(',');
}

/** A mailbox name as it goes on the wire: modified UTF-7 unless UTF8=ACCEPT is enabled, then quoted or literal. */
export function formatMailbox(name: string, utf8 = false): string {
  if (!utf8) return imapString(encodeMailboxName(name));
  // RFC 6855 §3 uQUOTED-CHAR (RFC 9051 §4.3 after ENABLE IMAP4rev2): UTF-8 may go quoted, so a client need not read
  // a literal for a plain mailbox name.
  return utf8Quotable(name) ? `"${name.replace(/[\\"]/g, '\\$&')}"` : imapString(name);
}

/** uQUOTED-CHAR has no CTL: such names (and very long ones) go as literals. */
function utf8Quotable(name: string): boolean {
  if (name.length === 0 || name.length > 1024) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return false;
  }
  return true;
}

/** `BODY[...]` section text as the client asked for it, e.g. `1.2.HEADER.FIELDS (From To)` (RFC 3501 §7.4.2). */
export function formatSection(section: Section): string {
  const part = section.part.join('.');
  const text = section.text;
  if (!text) return part;
  const prefix = part ? `${part}.` : '';
  if (text.kind === 'HEADER.FIELDS') {
    const fields = text.fields.map((f) => (/^[\x21-\x7e]+$/.test(f) && !/["\\(){%*\]]/.test(f) ? f : imapString(f)));
    return `${prefix}HEADER.FIELDS${text.not ? '.NOT' : ''} (${fields.join(' ')})`;
  }
  return `${prefix}${text.kind}`;
}

// ---------------------------------------------------------------- untagged data (RFC 3501 §7.2–7.4)

export function capabilityData(capabilities: readonly string[]): string {
  return `* CAPABILITY ${capabilities.join(' ')}${CRLF}`;
}

/** RFC 5161 §3.2 */
export function enabledData(capabilities: readonly string[]): string {
  return `* ENABLED${capabilities.map((c) => ` ${c}`).join('')}${CRLF}`;
}

export function existsData(count: number): string {
  return `* ${count} EXISTS${CRLF}`;
}

export function recentData(count: number): string {
  return `* ${count} RECENT${CRLF}`;
}

export function expungeData(seq: number): string {
  return `* ${seq} EXPUNGE${CRLF}`;
}

/** `* VANISHED [(EARLIER) ]uids` (RFC 7162 §3.2.10). */
export function vanishedData(uids: readonly number[], earlier: boolean): string {
  return `* VANISHED ${earlier ? '(EARLIER) ' : ''}${formatSequenceSet(uids)}${CRLF}`;
}

export function flagsData(flags: readonly string[]): string {
  return `* FLAGS (${flags.join(' ')})${CRLF}`;
}

export interface ListEntry {
  /** Name attributes such as \HasNoChildren, \Noselect, \Subscribed, \Sent (RFC 3501 §7.2.2, RFC 5258, RFC 6154). */
  readonly attributes: readonly string[];
  /** Hierarchy delimiter, or null for a flat namespace. */
  readonly delimiter: string | null;
  readonly mailbox: string;
  /** RFC 5258 §4 CHILDINFO extended data item, e.g. ["SUBSCRIBED"]. */
  readonly childInfo?: readonly string[];
  /** RFC 5465 / RFC 9051 OLDNAME extended data item. */
  readonly oldName?: string;
}

/** `* LIST (\HasNoChildren) "/" "INBOX"` — or LSUB (RFC 3501 §7.2.2–7.2.3). */
export function listData(entry: ListEntry, kind: 'LIST' | 'LSUB' = 'LIST', utf8 = false): string {
  const extended: string[] = [];
  if (entry.childInfo && entry.childInfo.length > 0) extended.push(`"CHILDINFO" (${entry.childInfo.map(imapString).join(' ')})`);
  if (entry.oldName !== undefined) extended.push(`"OLDNAME" (${formatMailbox(entry.oldName, utf8)})`);
  const ext = extended.length > 0 ? ` (${extended.join(' ')})` : '';
  return `* ${kind} (${entry.attributes.join(' ')}) ${imapString(entry.delimiter)} ${formatMailbox(entry.mailbox, utf8)}${ext}${CRLF}`;
}

/** `* STATUS "name" (MESSAGES 3 UIDNEXT 4)` in the given order (RFC 3501 §7.2.4; MAILBOXID per RFC 8474 §4.2). */
export function statusData(mailbox: string, items: ReadonlyArray<readonly [StatusItem, number | string]>, utf8 = false): string {
  const body = items.map(([name, value]) => (name === 'MAILBOXID' ? `MAILBOXID (${value})` : `${name} ${value}`)).join(' ');
  return `* STATUS ${formatMailbox(mailbox, utf8)} (${body})${CRLF}`;
}

/** `* SEARCH 2 3 6` with `(MODSEQ n)` when CONDSTORE asked for it (RFC 3501 §7.2.5, RFC 7162 §3.1.5). */
export function searchData(numbers: readonly number[], modSeq?: number): string {
  const list = numbers.map((n) => ` ${n}`).join('');
  return `* SEARCH${list}${modSeq !== undefined && numbers.length > 0 ? ` (MODSEQ ${modSeq})` : ''}${CRLF}`;
}

export interface EsearchResult {
  readonly tag: string;
  readonly uid: boolean;
  readonly min?: number;
  readonly max?: number;
  /** Omitted when empty: RFC 4731 §3.1 says ALL is not returned for no matches. */
  readonly all?: readonly number[];
  readonly count?: number;
  readonly modSeq?: number;
}

/** `* ESEARCH (TAG "a1") UID MIN 1 MAX 9 ALL 1:3,9 COUNT 4` (RFC 4731 §3.1, RFC 7162 §3.1.5). */
export function esearchData(r: EsearchResult): string {
  let out = `* ESEARCH (TAG ${imapString(r.tag)})${r.uid ? ' UID' : ''}`;
  if (r.min !== undefined) out += ` MIN ${r.min}`;
  if (r.max !== undefined) out += ` MAX ${r.max}`;
  if (r.all && r.all.length > 0) out += ` ALL ${formatSequenceSet(r.all)}`;
  if (r.count !== undefined) out += ` COUNT ${r.count}`;
  if (r.modSeq !== undefined) out += ` MODSEQ ${r.modSeq}`;
  return `${out}${CRLF}`;
}

/** `* SORT 2 3 6` (RFC 5256 §4 sort-data), with `(MODSEQ n)` for a MODSEQ criterion (RFC 7162 §3.1.9). */
export function sortData(numbers: readonly number[], modSeq?: number): string {
  const list = numbers.map((n) => ` ${n}`).join('');
  return `* SORT${list}${modSeq !== undefined && numbers.length > 0 ? ` (MODSEQ ${modSeq})` : ''}${CRLF}`;
}

/** One member of a THREAD answer: a message number, or null for a dummy parent, and its children. */
export interface ThreadNode {
  readonly number: number | null;
  readonly children: readonly ThreadNode[];
}

/**
 * thread-members / thread-nested of RFC 5256 §5: one child continues the chain, several nest; a dummy parent shows
 * only its children. Written with an explicit stack, since a reply chain may be thousands of messages deep.
 */
function threadMembers(root: ThreadNode): string {
  let out = '';
  const work: Array<ThreadNode | string> = [root];
  for (let item = work.pop(); item !== undefined; item = work.pop()) {
    if (typeof item === 'string') {
      out += item;
      continue;
    }
    const kids = item.children;
    if (item.number !== null) out += kids.length > 0 ? `${item.number} ` : `${item.number}`;
    if (kids.length === 1 && kids[0]) work.push(kids[0]);
    else for (let i = kids.length - 1; i >= 0; i--) work.push(')', kids[i] as ThreadNode, '(');
  }
  return out;
}

/** `* THREAD (2)(3 6 (4 23)(44 7 96))` (RFC 5256 §4 thread-data). */
export function threadData(threads: readonly ThreadNode[]): string {
  return `* THREAD${threads.length > 0 ? ' ' : ''}${threads.map((t) => `(${threadMembers(t)})`).join('')}${CRLF}`;
}

/** `* ID ("name" "Stratus")` or `* ID NIL` (RFC 2971 §3.2). */
export function idData(params: ReadonlyArray<readonly [string, string | null]> | null): string {
  if (params === null || params.length === 0) return `* ID NIL${CRLF}`;
  return `* ID (${params.map(([k, v]) => `${imapString(k)} ${imapString(v)}`).join(' ')})${CRLF}`;
}

export interface NamespaceEntry {
  readonly prefix: string;
  readonly delimiter: string | null;
}

/** `* NAMESPACE (("" "/")) NIL NIL` (RFC 2342 §5). */
export function namespaceData(
  personal: readonly NamespaceEntry[] | null,
  other: readonly NamespaceEntry[] | null,
  shared: readonly NamespaceEntry[] | null,
  utf8 = false,
): string {
  const group = (g: readonly NamespaceEntry[] | null): string =>
    g === null || g.length === 0 ? 'NIL' : `(${g.map((e) => `(${formatMailbox(e.prefix, utf8)} ${imapString(e.delimiter)})`).join('')})`;
  return `* NAMESPACE ${group(personal)} ${group(other)} ${group(shared)}${CRLF}`;
}

// ---------------------------------------------------------------- FETCH (RFC 3501 §7.4.2)

/** A body to send as a literal: in memory, or a stream of exactly `size` bytes. null is sent as NIL. */
export type BodyContent = Buffer | string | { readonly size: number; readonly stream: Readable } | null;

export type FetchValue =
  | { readonly name: 'FLAGS'; readonly flags: readonly string[] }
  | { readonly name: 'UID'; readonly uid: number }
  | { readonly name: 'INTERNALDATE'; readonly date: Date; readonly offsetMinutes?: number }
  | { readonly name: 'RFC822.SIZE'; readonly size: number }
  | { readonly name: 'MODSEQ'; readonly modSeq: number }
  /** Already in wire form, from wire/envelope.ts and wire/bodystructure.ts. */
  | { readonly name: 'ENVELOPE' | 'BODYSTRUCTURE' | 'BODY'; readonly wire: string }
  | { readonly name: 'EMAILID' | 'THREADID'; readonly id: string | null }
  /** RFC 8514 §4.2: NIL when the save date is unknown. */
  | { readonly name: 'SAVEDATE'; readonly date: Date | null }
  /** RFC 8970: the preview text (an nstring). */
  | { readonly name: 'PREVIEW'; readonly text: string | null }
  | { readonly name: 'BODY[]'; readonly section: Section; readonly origin?: number; readonly body: BodyContent }
  | {
      readonly name: 'BINARY[]';
      readonly part: readonly number[];
      readonly origin?: number;
      readonly body: BodyContent;
      /** Send as literal8 `~{n}` (RFC 3516 §4.3): needed when the decoded bytes may contain NUL. */
      readonly binary?: boolean;
    }
  | { readonly name: 'BINARY.SIZE'; readonly part: readonly number[]; readonly size: number }
  | { readonly name: 'RFC822' | 'RFC822.HEADER' | 'RFC822.TEXT'; readonly body: BodyContent };

/** A piece of a response: text and bytes are written as they are; a stream is copied and must yield `size` bytes. */
export type ResponsePiece = string | Buffer | { readonly size: number; readonly stream: Readable };

function literal(body: BodyContent, binary = false): ResponsePiece[] {
  if (body === null) return ['NIL'];
  const prefix = binary ? '~' : '';
  if (typeof body === 'string') {
    const bytes = Buffer.from(body, 'utf8');
    return [`${prefix}{${bytes.length}}${CRLF}`, bytes];
  }
  if (Buffer.isBuffer(body)) return [`${prefix}{${body.length}}${CRLF}`, body];
  return [`${prefix}{${body.size}}${CRLF}`, body];
}

/** `FLAGS (…)` of a frozen flag list (session/flag-lists.ts hands out one per flag state), kept per list. */
const flagsTexts = new WeakMap<readonly string[], string>();

function flagsText(flags: readonly string[]): string {
  if (!Object.isFrozen(flags)) return `FLAGS (${flags.join(' ')})`;
  let text = flagsTexts.get(flags);
  if (text === undefined) {
    text = `FLAGS (${flags.join(' ')})`;
    flagsTexts.set(flags, text);
  }
  return text;
}

/** INTERNALDATE text by instant (UTC): FETCH of a whole mailbox formats each message's date once per process. */
const internalDates = new Map<number, string>();
const INTERNAL_DATES_KEPT = 100_000;

function internalDateText(date: Date, offsetMinutes: number | undefined): string {
  if (offsetMinutes !== undefined && offsetMinutes !== 0) return `INTERNALDATE ${formatDateTime(date, offsetMinutes)}`;
  const ms = date.getTime();
  let text = internalDates.get(ms);
  if (text === undefined) {
    text = `INTERNALDATE ${formatDateTime(date)}`;
    if (internalDates.size >= INTERNAL_DATES_KEPT) internalDates.clear();
    internalDates.set(ms, text);
  }
  return text;
}

/**
 * The text of FETCH responses built item by item, with no FetchValue or piece array per message (a FETCH 1:* of
 * view-only items, fetch.ts): `fetchHead`, then item texts separated by one space, then `fetchTail`.
 */
export function fetchHead(seq: number, uidFetch = false): string {
  return uidFetch ? `* ${seq} UIDFETCH (` : `* ${seq} FETCH (`;
}

export const fetchTail = `)${CRLF}`;

/** `FLAGS (…)`: the wire text of a FLAGS item, kept per frozen list (session/flag-lists.ts). */
export function fetchFlagsText(flags: readonly string[]): string {
  return flagsText(flags);
}

/** The wire text of an item that is not a literal; undefined for those that are (bodies). */
export function fetchItemText(v: FetchValue): string | undefined {
  switch (v.name) {
    case 'FLAGS':
      return flagsText(v.flags);
    case 'UID':
      return `UID ${v.uid}`;
    case 'INTERNALDATE':
      return internalDateText(v.date, v.offsetMinutes);
    case 'RFC822.SIZE':
      return `RFC822.SIZE ${v.size}`;
    case 'MODSEQ':
      return `MODSEQ (${v.modSeq})`;
    case 'ENVELOPE':
    case 'BODYSTRUCTURE':
    case 'BODY':
      return `${v.name} ${v.wire}`;
    case 'EMAILID':
    case 'THREADID':
      return v.id === null ? `${v.name} NIL` : `${v.name} (${v.id})`;
    case 'SAVEDATE':
      return `SAVEDATE ${v.date === null ? 'NIL' : formatDateTime(v.date)}`;
    case 'PREVIEW':
      return `PREVIEW ${imapString(v.text)}`;
    case 'BINARY.SIZE':
      return `BINARY.SIZE[${v.part.join('.')}] ${v.size}`;
    default:
      return undefined;
  }
}

function fetchItem(v: FetchValue): ResponsePiece[] {
  const text = fetchItemText(v);
  if (text !== undefined) return [text];
  switch (v.name) {
    case 'BODY[]':
      return [`BODY[${formatSection(v.section)}]${v.origin !== undefined ? `<${v.origin}>` : ''} `, ...literal(v.body)];
    case 'BINARY[]': {
      const binary = v.binary ?? (Buffer.isBuffer(v.body) && v.body.includes(0));
      return [`BINARY[${v.part.join('.')}]${v.origin !== undefined ? `<${v.origin}>` : ''} `, ...literal(v.body, binary)];
    }
    case 'RFC822':
    case 'RFC822.HEADER':
    case 'RFC822.TEXT':
      return [`${v.name} `, ...literal(v.body)];
    default:
      return [];
  }
}

/** `* <seq> FETCH (<items>)\r\n` as pieces; bodies stay streams until ImapWriter copies them. */
/** `* seq FETCH (…)`, or with `uidFetch` `* uid UIDFETCH (…)` (RFC 9586 §3.3: `seq` is then the UID). */
export function fetchResponse(seq: number, items: readonly FetchValue[], uidFetch = false): ResponsePiece[] {
  // Text runs are joined into one string, so a response without bodies is a single piece.
  const pieces: ResponsePiece[] = [];
  let text = `* ${seq} ${uidFetch ? 'UIDFETCH' : 'FETCH'} (`;
  for (let i = 0; i < items.length; i++) {
    if (i > 0) text += ' ';
    const item = items[i]!;
    const plain = fetchItemText(item);
    if (plain !== undefined) {
      text += plain;
      continue;
    }
    for (const piece of fetchItem(item)) {
      if (typeof piece === 'string') text += piece;
      else {
        pieces.push(text, piece);
        text = '';
      }
    }
  }
  pieces.push(`${text})${CRLF}`);
  return pieces;
}

/** Joins in-memory pieces into bytes (tests, small responses). Throws if a piece is a stream. */
export function piecesToBuffer(pieces: readonly ResponsePiece[]): Buffer {
  return Buffer.concat(
    pieces.map((p) => {
      if (typeof p === 'string') return Buffer.from(p, 'utf8');
      if (Buffer.isBuffer(p)) return p;
      throw new Error('piecesToBuffer: a streamed body cannot be joined in memory');
    }),
  );
}

// ---------------------------------------------------------------- the writer

/** What `ImapWriter.write` returns for a response written at once: one settled promise, shared. */
const WRITTEN: Promise<void> = Promise.resolve();
/** ImapWriter.tryWriteNow's `aheadBytes` for `write`. */
const WRITE_AHEAD_BYTES = 256 * 1024;

/** A response of strings and bytes as one Buffer (a lone Buffer as it is, never copied); undefined with a stream. */
function responseBytes(response: string | Buffer | readonly ResponsePiece[]): Buffer | undefined {
  if (typeof response === 'string') return Buffer.from(response, 'utf8');
  if (Buffer.isBuffer(response)) return response; // a shared Buffer (one session's `* k EXISTS`)
  if (response.length === 1) {
    const only = response[0]!;
    if (typeof only === 'string') return Buffer.from(only, 'utf8');
    return Buffer.isBuffer(only) ? only : undefined;
  }
  const bytes: Buffer[] = [];
  // Consecutive strings are joined and converted once.
  let text = '';
  for (const piece of response) {
    if (typeof piece === 'string') text += piece;
    else if (Buffer.isBuffer(piece)) {
      if (text !== '') bytes.push(Buffer.from(text, 'utf8'));
      text = '';
      bytes.push(piece);
    } else return undefined;
  }
  if (text !== '') bytes.push(Buffer.from(text, 'utf8'));
  return bytes.length === 1 ? bytes[0]! : Buffer.concat(bytes);
}

/** A streamed body yielded a different number of bytes than its literal announced: the connection is unusable. */
export class BodyLengthError extends Error {
  override name = 'BodyLengthError';
}

/**
 * Writes responses to the socket, one after another in call order (concurrent calls queue), waiting for 'drain'
 * when the socket's buffer is full so a large FETCH never piles up in memory. A streamed body is copied chunk by
 * chunk; if it yields more or fewer bytes than announced the literal is corrupt and write() rejects with
 * BodyLengthError — the caller must then close the connection.
 */
export class ImapWriter {
  private queue: Promise<void> = Promise.resolve();
  /** Writes queued and not finished; 0: `writeNow` may go straight to the stream. */
  private writing = 0;

  constructor(private readonly out: Writable) {}

  write(response: string | Buffer | readonly ResponsePiece[]): Promise<void> {
    // Nothing ahead of it and room in the stream: written now, with no promise chain (most responses, issue #8).
    const now = this.tryWriteNow(response, WRITE_AHEAD_BYTES);
    if (now === true) return WRITTEN;
    if (now === false) return this.drained();
    const pieces: readonly ResponsePiece[] = typeof response === 'string' || Buffer.isBuffer(response) ? [response] : response;
    this.writing++;
    const run = this.queue.then(() => this.writePieces(pieces));
    const finished = (): void => void this.writing--;
    this.queue = run.then(finished, finished);
    return run;
  }

  /**
   * Writes a response of bytes and strings (no body streams) synchronously — no promise — when nothing is queued
   * ahead of it and the stream has room; false when it must go through `write` instead. For pushing one hint's
   * updates to thousands of idling sessions in one pass (commands/idle.ts).
   */
  writeNow(response: string | Buffer | readonly ResponsePiece[]): boolean {
    return this.tryWriteNow(response, 0) !== undefined;
  }

  /**
   * The synchronous write behind `write` and `writeNow`: undefined when it cannot be done now (something queued,
   * the stream full or gone, a body stream among the pieces) and nothing was written; else whether the stream
   * still has room afterwards (false: the caller of `write` waits for 'drain', as a queued write would).
   *
   * `aheadBytes`: how far past its high-water mark a CORKED stream's buffer may go before a write waits for 'drain'. A
   * command's responses are corked until its end (write-coalescing.ts), and a corked stream drains only when the
   * end of the turn uncorks it: waiting for 'drain' after a 20 KB FETCH response would cost the tagged OK a turn
   * and a write(2) of its own. Bounded, so a client that stops reading still holds up a large FETCH.
   */
  private tryWriteNow(response: string | Buffer | readonly ResponsePiece[], aheadBytes: number): boolean | undefined {
    const out = this.out;
    if (this.writing > 0 || out.destroyed) return undefined;
    // Only a corked stream may run ahead: an uncorked one is draining by itself, and 'drain' is worth waiting for.
    const ahead = out.writableCorked > 0 ? aheadBytes : 0;
    if (out.writableNeedDrain && out.writableLength >= ahead) return undefined;
    const bytes = responseBytes(response);
    if (bytes === undefined) return undefined;
    return out.write(bytes) || out.writableLength < ahead;
  }

  /** After a write that took the stream past its limit: resolves on 'drain', rejects if the stream goes away. */
  private drained(): Promise<void> {
    this.writing++;
    const run = this.queue.then(() => this.waitForRoom());
    const finished = (): void => void this.writing--;
    this.queue = run.then(finished, finished);
    return run;
  }

  private async writePieces(pieces: readonly ResponsePiece[]): Promise<void> {
    let pending: Buffer[] = [];
    // Consecutive strings are joined and converted once (a FETCH of many messages is hundreds of them).
    let text = '';
    const takeText = (): void => {
      if (text === '') return;
      pending.push(Buffer.from(text, 'utf8'));
      text = '';
    };
    const flush = async (): Promise<void> => {
      takeText();
      if (pending.length === 0) return;
      const bytes = pending.length === 1 && pending[0] ? pending[0] : Buffer.concat(pending);
      pending = [];
      await this.send(bytes);
    };
    for (const piece of pieces) {
      if (typeof piece === 'string') text += piece;
      else if (Buffer.isBuffer(piece)) {
        takeText();
        pending.push(piece);
      }
      else {
        await flush();
        await this.copy(piece.size, piece.stream);
      }
    }
    await flush();
  }

  private async copy(size: number, stream: Readable): Promise<void> {
    let sent = 0;
    for await (const chunk of stream) {
      const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk), 'utf8');
      if (sent + bytes.length > size) {
        stream.destroy();
        throw new BodyLengthError(`Body stream longer than its announced ${size} bytes`);
      }
      sent += bytes.length;
      await this.send(bytes);
    }
    if (sent !== size) throw new BodyLengthError(`Body stream ended after ${sent} of ${size} bytes`);
  }

  private async send(bytes: Buffer): Promise<void> {
    if (this.out.destroyed) throw new Error('Connection closed');
    if (this.out.write(bytes)) return;
    await this.waitForRoom();
  }

  /** Waits for room, or for the socket to go away (then 'drain' would never come). */
  private async waitForRoom(): Promise<void> {
    const out = this.out;
    if (out.destroyed) throw new Error('Connection closed');
    if (!out.writableNeedDrain) return; // drained already
    await new Promise<void>((resolve, reject) => {
      const onDrain = (): void => {
        cleanup();
        resolve();
      };
      const onClose = (): void => {
        cleanup();
        reject(new Error('Connection closed'));
      };
      const cleanup = (): void => {
        out.off('drain', onDrain);
        out.off('close', onClose);
        out.off('error', onClose);
      };
      out.on('drain', onDrain);
      out.on('close', onClose);
      out.on('error', onClose);
    });
  }
}
