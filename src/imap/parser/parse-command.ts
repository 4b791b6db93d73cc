// The pure command parser: one complete command (its line texts and literals, see cursor.ts) → a typed Command,
// or a failure carrying the tag when one could be read. Never throws. APPEND's message literal never reaches this
// function: the framer asks appendPrefix() where it stands and streams the message instead (command-reader.ts).
import { Cursor, SyntaxFault } from './cursor.js';
import type { CommandPart } from './cursor.js';
import { dateTime, flag, flagList, mailbox, modSeq, sequenceSet } from './grammar.js';
import { fetchArguments } from './fetch.js';
import { searchArguments } from './search.js';
import { sortArguments, threadArguments } from './sort.js';
import { notifyArguments } from './notify.js';
import { asModSeq } from '../types.js';
import type { Flag, ModSeq } from '../types.js';
import type { Command, ListReturnOption, QresyncParams, StatusItem } from '../command.js';

export type ParseResult =
  | { readonly ok: true; readonly command: Command }
  | { readonly ok: false; readonly tag: string | null; readonly text: string };

const STATUS_ITEMS: readonly StatusItem[] = [
  'MESSAGES',
  'RECENT',
  'UIDNEXT',
  'UIDVALIDITY',
  'UNSEEN',
  'DELETED',
  'SIZE',
  'HIGHESTMODSEQ',
  'APPENDLIMIT',
  'MAILBOXID',
];

const NO_ARGUMENTS = new Set(['CAPABILITY', 'NOOP', 'LOGOUT', 'STARTTLS', 'NAMESPACE', 'CHECK', 'CLOSE', 'UNSELECT', 'IDLE'] as const);
type NoArgumentName = typeof NO_ARGUMENTS extends Set<infer T> ? T : never;

/** The tag at the start of the command, if the first bytes form a valid one; used for error responses. */
export function readTag(firstLine: Buffer): string | null {
  try {
    const c = new Cursor([{ kind: 'text', bytes: firstLine }]);
    const tag = c.tag();
    return c.peek() === 0x20 || c.atEnd() ? tag : null;
  } catch {
    return null;
  }
}

export function parseCommand(parts: readonly CommandPart[]): ParseResult {
  const c = new Cursor(parts);
  let tag: string | null = null;
  try {
    tag = c.tag();
    if (c.atEnd()) return { ok: false, tag, text: 'Missing command' };
    c.sp();
    const verb = c.keyword();
    const command = verb === 'UID' ? uidCommand(c, tag) : plainCommand(c, tag, verb);
    if (command.name !== 'UNKNOWN') c.end();
    return { ok: true, command };
  } catch (e) {
    // SyntaxFault is the grammar's way of saying "malformed"; anything else is a parser bug, still never thrown.
    const text = e instanceof SyntaxFault ? e.message : 'Command could not be parsed';
    return { ok: false, tag: tag !== null && /^[^\s]+$/.test(tag) ? tag : null, text };
  }
}

function uidCommand(c: Cursor, tag: string): Command {
  c.sp();
  const verb = c.keyword();
  switch (verb) {
    case 'FETCH':
      return fetchArguments(c, tag, true);
    case 'SEARCH':
      return { tag, name: 'SEARCH', uid: true, ...searchArguments(c) };
    case 'SORT':
      return { tag, name: 'SORT', uid: true, ...sortArguments(c) };
    case 'THREAD':
      return { tag, name: 'THREAD', uid: true, ...threadArguments(c) };
    case 'STORE':
      return store(c, tag, true);
    case 'COPY':
    case 'MOVE':
      return copyMove(c, tag, verb, true);
    case 'EXPUNGE':
      c.sp();
      return { tag, name: 'EXPUNGE', uid: true, set: sequenceSet(c) };
    default:
      return { tag, name: 'UNKNOWN', verb: `UID ${verb}` };
  }
}

function plainCommand(c: Cursor, tag: string, verb: string): Command {
  if (NO_ARGUMENTS.has(verb as NoArgumentName)) return { tag, name: verb as NoArgumentName };
  switch (verb) {
    case 'LOGIN': {
      c.sp();
      const user = c.astring();
      c.sp();
      return { tag, name: 'LOGIN', user, password: c.astring() };
    }
    case 'AUTHENTICATE': {
      c.sp();
      const mechanism = c.atom().toUpperCase();
      if (c.atEnd()) return { tag, name: 'AUTHENTICATE', mechanism };
      c.sp();
      // SASL-IR: base64 / "=" (RFC 4959 §7)
      const ir = c.scan((b) => b !== 0x20).toString('latin1');
      if (!/^(=|(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?)$/.test(ir) || ir === '') c.fail('Bad initial response');
      return { tag, name: 'AUTHENTICATE', mechanism, initialResponse: ir };
    }
    case 'COMPRESS': {
      // RFC 4978 §3: COMPRESS SP algorithm; the handler refuses algorithms other than DEFLATE.
      c.sp();
      return { tag, name: 'COMPRESS', mechanism: c.atom().toUpperCase() };
    }
    case 'NOTIFY':
      return notifyArguments(c, tag);
    case 'ENABLE': {
      const capabilities: string[] = [];
      do {
        c.sp();
        capabilities.push(c.keyword());
      } while (!c.atEnd());
      return { tag, name: 'ENABLE', capabilities };
    }
    case 'ID': {
      c.sp();
      return { tag, name: 'ID', params: idParams(c) };
    }
    case 'SELECT':
    case 'EXAMINE':
      return select(c, tag, verb);
    case 'CREATE': {
      c.sp();
      const name = mailbox(c);
      const specialUse: string[] = [];
      if (!c.atEnd()) {
        c.sp();
        c.list(() => {
          if (c.keyword() !== 'USE') c.fail('Unknown CREATE parameter');
          c.sp();
          specialUse.push(...flagList(c));
        }, false);
      }
      return { tag, name: 'CREATE', mailbox: name, specialUse };
    }
    case 'DELETE':
    case 'SUBSCRIBE':
    case 'UNSUBSCRIBE':
      c.sp();
      return { tag, name: verb, mailbox: mailbox(c) };
    case 'RENAME': {
      c.sp();
      const from = mailbox(c);
      c.sp();
      return { tag, name: 'RENAME', from, to: mailbox(c) };
    }
    case 'LIST':
      return list(c, tag);
    case 'LSUB': {
      c.sp();
      const reference = c.astring();
      c.sp();
      return { tag, name: 'LSUB', reference, pattern: c.listMailbox() };
    }
    case 'STATUS': {
      c.sp();
      const name = mailbox(c);
      c.sp();
      return { tag, name: 'STATUS', mailbox: name, items: c.list(() => statusItem(c), false) };
    }
    case 'APPEND':
      // Reaching here means the command line ended without a message literal.
      return c.fail('APPEND requires a message literal');
    case 'EXPUNGE':
      return { tag, name: 'EXPUNGE', uid: false };
    case 'SEARCH':
      return { tag, name: 'SEARCH', uid: false, ...searchArguments(c) };
    case 'SORT':
      return { tag, name: 'SORT', uid: false, ...sortArguments(c) };
    case 'THREAD':
      return { tag, name: 'THREAD', uid: false, ...threadArguments(c) };
    case 'FETCH':
      return fetchArguments(c, tag, false);
    case 'STORE':
      return store(c, tag, false);
    case 'COPY':
    case 'MOVE':
      return copyMove(c, tag, verb, false);
    case 'GETQUOTA':
      c.sp();
      return { tag, name: 'GETQUOTA', root: c.astring() };
    case 'GETQUOTAROOT':
      c.sp();
      return { tag, name: 'GETQUOTAROOT', mailbox: mailbox(c) };
    case 'SETQUOTA': {
      // setquota = "SETQUOTA" SP quota-root-name SP "(" [resource-name SP resource-limit *(...)] ")" (RFC 9208 §7)
      c.sp();
      const root = c.astring();
      c.sp();
      const limits: Array<readonly [string, number]> = [];
      c.expect(0x28, '(');
      if (!c.take(0x29)) {
        for (;;) {
          const resource = c.keyword();
          c.sp();
          limits.push([resource, c.number(Number.MAX_SAFE_INTEGER)]);
          if (c.take(0x29)) break;
          c.sp();
        }
      }
      return { tag, name: 'SETQUOTA', root, limits };
    }
    // RFC 4314 §7: setacl = "SETACL" SP mailbox SP identifier SP mod-rights; identifier and rights are astrings.
    case 'SETACL': {
      c.sp();
      const name = mailbox(c);
      c.sp();
      const identifier = c.astring();
      c.sp();
      return { tag, name: 'SETACL', mailbox: name, identifier, rights: c.astring() };
    }
    case 'DELETEACL':
    case 'LISTRIGHTS': {
      c.sp();
      const name = mailbox(c);
      c.sp();
      return { tag, name: verb, mailbox: name, identifier: c.astring() };
    }
    case 'GETACL':
    case 'MYRIGHTS':
      c.sp();
      return { tag, name: verb, mailbox: mailbox(c) };
    default:
      return { tag, name: 'UNKNOWN', verb };
  }
}

/** id-params-list = "(" *(string SP nstring) ")" / nil (RFC 2971 §4). */
function idParams(c: Cursor): ReadonlyArray<readonly [string, string | null]> | null {
  if (c.peek() !== 0x28) {
    if (c.keyword() !== 'NIL') c.fail('Expected ID parameter list or NIL');
    return null;
  }
  const pairs: Array<readonly [string, string | null]> = [];
  c.expect(0x28, '(');
  if (c.take(0x29)) return pairs;
  for (;;) {
    const key = c.string();
    c.sp();
    pairs.push([key, c.nstring()]);
    if (c.take(0x29)) return pairs;
    c.sp();
  }
}

function statusItem(c: Cursor): StatusItem {
  const item = c.keyword();
  if (!STATUS_ITEMS.includes(item as StatusItem)) c.fail(`Unknown STATUS item ${item}`);
  return item as StatusItem;
}

function select(c: Cursor, tag: string, verb: 'SELECT' | 'EXAMINE'): Command {
  c.sp();
  const name = mailbox(c);
  let condstore = false;
  let qresync: QresyncParams | undefined;
  if (!c.atEnd()) {
    c.sp();
    c.list(() => {
      const param = c.keyword();
      if (param === 'CONDSTORE') condstore = true;
      else if (param === 'QRESYNC') {
        c.sp();
        qresync = qresyncParams(c);
      } else c.fail(`Unknown ${verb} parameter ${param}`); // RFC 4466 §2.1: unknown parameter → BAD
    });
  }
  return { tag, name: verb, mailbox: name, condstore, ...(qresync ? { qresync } : {}) };
}

/** "(" uidvalidity SP mod-sequence-value [SP known-uids] [SP seq-match-data] ")" (RFC 7162 §7). */
function qresyncParams(c: Cursor): QresyncParams {
  c.expect(0x28, '(');
  const uidValidity = c.nzNumber();
  c.sp();
  const modSequence: ModSeq = modSeq(c);
  let result: QresyncParams = { uidValidity, modSeq: modSequence };
  if (c.take(0x20)) {
    if (c.peek() !== 0x28) {
      result = { ...result, knownUids: sequenceSet(c) };
      if (!c.take(0x20)) {
        c.expect(0x29, ')');
        return result;
      }
    }
    c.expect(0x28, '(');
    const seqs = sequenceSet(c);
    c.sp();
    const uids = sequenceSet(c);
    c.expect(0x29, ')');
    result = { ...result, seqMatch: { seqs, uids } };
  }
  c.expect(0x29, ')');
  return result;
}

/** LIST [SP "(" select-opts ")"] SP mailbox SP (list-mailbox / "(" patterns ")") [SP RETURN (...)] (RFC 5258 §6). */
function list(c: Cursor, tag: string): Command {
  c.sp();
  const selectionOptions = c.peek() === 0x28 ? c.list(() => c.keyword()) : null;
  if (selectionOptions) c.sp();
  const reference = c.astring();
  c.sp();
  const patterns = c.peek() === 0x28 ? c.list(() => c.listMailbox(), false) : [c.listMailbox()];
  const returnOptions: ListReturnOption[] = [];
  if (!c.atEnd()) {
    c.sp();
    if (c.keyword() !== 'RETURN') c.fail('Expected RETURN');
    c.sp();
    c.list(() => {
      const name = c.keyword();
      if (name === 'STATUS') {
        c.sp();
        returnOptions.push({ name, items: c.list(() => statusItem(c), false) });
      } else returnOptions.push({ name });
    });
  }
  return { tag, name: 'LIST', reference, patterns, selectionOptions: selectionOptions ?? [], returnOptions };
}

/** STORE SP sequence-set [SP "(" UNCHANGEDSINCE n ")"] SP ["+"/"-"] "FLAGS" [".SILENT"] SP flags (RFC 7162 §7). */
function store(c: Cursor, tag: string, uid: boolean): Command {
  c.sp();
  const set = sequenceSet(c);
  c.sp();
  let unchangedSince: ModSeq | undefined;
  if (c.peek() === 0x28) {
    c.list(() => {
      if (c.keyword() !== 'UNCHANGEDSINCE') c.fail('Unknown STORE modifier');
      c.sp();
      unchangedSince = asModSeq(c.number(Number.MAX_SAFE_INTEGER));
    }, false);
    c.sp();
  }
  const mode = c.take(0x2b) ? 'add' : c.take(0x2d) ? 'remove' : 'replace';
  const att = c.keyword();
  if (att !== 'FLAGS' && att !== 'FLAGS.SILENT') c.fail('Expected FLAGS');
  c.sp();
  let flags: Flag[];
  if (c.peek() === 0x28) flags = flagList(c);
  else {
    flags = [flag(c)];
    while (c.take(0x20)) flags.push(flag(c));
  }
  return {
    tag,
    name: 'STORE',
    uid,
    set,
    mode,
    silent: att === 'FLAGS.SILENT',
    flags,
    ...(unchangedSince !== undefined ? { unchangedSince } : {}),
  };
}

function copyMove(c: Cursor, tag: string, verb: 'COPY' | 'MOVE', uid: boolean): Command {
  c.sp();
  const set = sequenceSet(c);
  c.sp();
  return { tag, name: verb, uid, set, mailbox: mailbox(c) };
}

/** Where an APPEND stands when its line ends with a literal announcement. */
export type AppendPrefix =
  | { readonly kind: 'not-append' }
  /** The literal to come is an argument before the message (the mailbox name). */
  | { readonly kind: 'argument' }
  | {
      readonly kind: 'message';
      readonly tag: string;
      readonly mailbox: string;
      readonly flags: readonly Flag[];
      readonly internalDate?: Date;
      /** RFC 6855 §4 `UTF8 (~{n}…)`: a ")" must follow the message. */
      readonly utf8?: true;
    }
  | { readonly kind: 'error'; readonly tag: string | null; readonly text: string };

/**
 * Called by the framer with the parts read so far (ending in the text before a literal announcement): decides
 * whether that literal is APPEND's message (RFC 3501 §6.3.11: tag SP "APPEND" SP mailbox [SP flag-list]
 * [SP date-time] SP literal), so it can be streamed instead of buffered.
 */
export function appendPrefix(parts: readonly CommandPart[]): AppendPrefix {
  const c = new Cursor(parts);
  let tag: string | null = null;
  try {
    tag = c.tag();
    c.sp();
    if (c.keyword() !== 'APPEND') return { kind: 'not-append' };
    c.sp();
    if (c.atEnd()) return { kind: 'argument' };
    const name = mailbox(c);
    c.sp();
    return { kind: 'message', tag, mailbox: name, ...appendOptions(c) };
  } catch (e) {
    if (tag === null) return { kind: 'not-append' }; // no tag: parseCommand will report it on the full command
    return { kind: 'error', tag, text: e instanceof SyntaxFault ? e.message : 'Command could not be parsed' };
  }
}

/**
 * `[flag-list SP] [date-time SP]` before an APPEND message literal (RFC 3501 §9 append, RFC 3502 §6), and
 * `UTF8 SP "("` when the message comes as RFC 6855 §4 utf8-literal (its ")" follows the literal, command-reader.ts).
 */
function appendOptions(c: Cursor): { flags: Flag[]; internalDate?: Date; utf8?: true } {
  let flags: Flag[] = [];
  if (c.peek() === 0x28) {
    flags = flagList(c);
    c.sp();
  }
  let internalDate: Date | undefined;
  if (c.peek() === 0x22) {
    internalDate = dateTime(c);
    c.sp();
  }
  let utf8 = false;
  if (!c.atEnd() && c.peek() !== 0x28 && c.keyword() === 'UTF8') {
    c.sp();
    c.expect(0x28, '"(" after UTF8');
    utf8 = true;
  }
  if (!c.atEnd()) c.fail('Unexpected characters before APPEND message');
  return { flags, ...(internalDate ? { internalDate } : {}), ...(utf8 ? { utf8: true as const } : {}) };
}

/** MULTIAPPEND (RFC 3502 §6): what follows a message literal before the next one, `SP [flag-list SP] [date-time SP]`. */
export function appendNextPrefix(
  bytes: Buffer,
): { ok: true; flags: Flag[]; internalDate?: Date; utf8?: true } | { ok: false; text: string } {
  const c = new Cursor([{ kind: 'text', bytes }]);
  try {
    c.sp();
    return { ok: true, ...appendOptions(c) };
  } catch (e) {
    return { ok: false, text: e instanceof SyntaxFault ? e.message : 'Command could not be parsed' };
  }
}
