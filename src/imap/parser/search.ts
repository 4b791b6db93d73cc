// SEARCH arguments (RFC 3501 §6.4.4, RFC 4466 §2.6 RETURN, RFC 4731 ESEARCH, RFC 5182 SAVE, RFC 7162 MODSEQ,
// RFC 5032 YOUNGER/OLDER) → SearchKey tree. Nesting is bounded (parser/limits.ts) so a hostile `NOT NOT NOT …` or
// `((((…` line cannot exhaust the stack: "(" by Cursor.list, NOT/OR/"(" together by MAX_SEARCH_DEPTH.
import type { Cursor } from './cursor.js';
import { flag, modSeq, searchDate, sequenceSet, startsSequenceSet } from './grammar.js';
import type { SearchKey, SearchReturnOption } from '../command.js';
import { MAX_SEARCH_DEPTH, SEARCH_DEPTH_TEXT } from './limits.js';


const FLAG_KEYS: Readonly<Record<string, readonly [string, boolean]>> = {
  ANSWERED: ['\\Answered', true],
  DELETED: ['\\Deleted', true],
  DRAFT: ['\\Draft', true],
  FLAGGED: ['\\Flagged', true],
  SEEN: ['\\Seen', true],
  RECENT: ['\\Recent', true],
  OLD: ['\\Recent', false],
  UNANSWERED: ['\\Answered', false],
  UNDELETED: ['\\Deleted', false],
  UNDRAFT: ['\\Draft', false],
  UNFLAGGED: ['\\Flagged', false],
  UNSEEN: ['\\Seen', false],
};

const HEADER_KEYS: Readonly<Record<string, string>> = { BCC: 'Bcc', CC: 'Cc', FROM: 'From', SUBJECT: 'Subject', TO: 'To' };

const DATE_KEYS: Readonly<Record<string, readonly ['internal' | 'sent' | 'saved', 'before' | 'on' | 'since']>> = {
  BEFORE: ['internal', 'before'],
  ON: ['internal', 'on'],
  SINCE: ['internal', 'since'],
  SENTBEFORE: ['sent', 'before'],
  SENTON: ['sent', 'on'],
  SENTSINCE: ['sent', 'since'],
  // RFC 8514 §4.3
  SAVEDBEFORE: ['saved', 'before'],
  SAVEDON: ['saved', 'on'],
  SAVEDSINCE: ['saved', 'since'],
};

const RETURN_OPTIONS: readonly SearchReturnOption[] = ['MIN', 'MAX', 'ALL', 'COUNT', 'SAVE'];

function searchKey(c: Cursor, depth: number): SearchKey {
  if (depth > MAX_SEARCH_DEPTH) c.fail(SEARCH_DEPTH_TEXT);
  if (c.peek() === 0x28) {
    const keys = c.list(() => searchKey(c, depth + 1), false);
    return keys.length === 1 && keys[0] ? keys[0] : { kind: 'and', keys };
  }
  if (startsSequenceSet(c)) return { kind: 'seq', set: sequenceSet(c) };
  const name = c.keyword();
  const flagKey = FLAG_KEYS[name];
  if (flagKey) return { kind: 'flag', flag: flagKey[0], present: flagKey[1] };
  const header = HEADER_KEYS[name];
  if (header) {
    c.sp();
    return { kind: 'header', field: header, value: c.astring() };
  }
  const dateKey = DATE_KEYS[name];
  if (dateKey) {
    c.sp();
    return { kind: 'date', field: dateKey[0], op: dateKey[1], date: searchDate(c) };
  }
  switch (name) {
    case 'ALL':
      return { kind: 'all' };
    case 'NEW':
      return {
        kind: 'and',
        keys: [
          { kind: 'flag', flag: '\\Recent', present: true },
          { kind: 'flag', flag: '\\Seen', present: false },
        ],
      };
    case 'KEYWORD':
    case 'UNKEYWORD':
      c.sp();
      return { kind: 'flag', flag: flag(c), present: name === 'KEYWORD' };
    case 'BODY':
      c.sp();
      return { kind: 'body', value: c.astring() };
    case 'TEXT':
      c.sp();
      return { kind: 'text', value: c.astring() };
    case 'HEADER': {
      c.sp();
      const field = c.astring();
      c.sp();
      return { kind: 'header', field, value: c.astring() };
    }
    case 'LARGER':
    case 'SMALLER':
      c.sp();
      return { kind: 'size', op: name === 'LARGER' ? 'larger' : 'smaller', size: c.number(Number.MAX_SAFE_INTEGER) };
    case 'NOT':
      c.sp();
      return { kind: 'not', key: searchKey(c, depth + 1) };
    case 'OR': {
      c.sp();
      const left = searchKey(c, depth + 1);
      c.sp();
      return { kind: 'or', left, right: searchKey(c, depth + 1) };
    }
    case 'UID':
      c.sp();
      return { kind: 'uid', set: sequenceSet(c) };
    case 'YOUNGER':
    case 'OLDER':
      c.sp();
      return { kind: name === 'YOUNGER' ? 'younger' : 'older', seconds: c.nzNumber() };
    case 'SAVEDATESUPPORTED':
      return { kind: 'savedatesupported' };
    case 'EMAILID':
    case 'THREADID':
      // RFC 8474 §7: objectid = 1*255(ALPHA / DIGIT / "_" / "-"), case-sensitive.
      c.sp();
      return { kind: name === 'EMAILID' ? 'emailid' : 'threadid', id: objectId(c) };
    case 'MODSEQ': {
      // search-modsequence = "MODSEQ" [search-modseq-ext] SP mod-sequence-valzer (RFC 7162 §7)
      c.sp();
      if (c.peek() === 0x22) {
        const entryName = c.quoted();
        c.sp();
        const type = c.keyword().toLowerCase();
        if (type !== 'priv' && type !== 'shared' && type !== 'all') c.fail('Bad MODSEQ entry type');
        c.sp();
        return { kind: 'modseq', modSeq: modSeq(c, true), entry: { name: entryName, type } };
      }
      return { kind: 'modseq', modSeq: modSeq(c, true) };
    }
    default:
      return c.fail(`Unknown search key ${name}`);
  }
}

function objectId(c: Cursor): string {
  const id = c.scan((b) => (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || (b >= 0x30 && b <= 0x39) || b === 0x5f || b === 0x2d);
  if (id.length === 0 || id.length > 255) c.fail('Expected an object id');
  return id.toString('latin1');
}

export interface SearchArguments {
  readonly charset?: string;
  readonly returnOptions?: readonly SearchReturnOption[];
  readonly key: SearchKey;
}

/** After "SEARCH": [SP "RETURN" SP "(" opts ")"] SP ["CHARSET" SP astring SP] search-key *(SP search-key). */
export function searchArguments(c: Cursor): SearchArguments {
  c.sp();
  let returnOptions: SearchReturnOption[] | undefined;
  let charset: string | undefined;
  if (nextKeywordIs(c, 'RETURN')) {
    c.sp();
    returnOptions = c.list(() => {
      const opt = c.keyword();
      if (!RETURN_OPTIONS.includes(opt as SearchReturnOption)) c.fail(`Unknown RETURN option ${opt}`);
      return opt as SearchReturnOption;
    });
    c.sp();
  }
  if (nextKeywordIs(c, 'CHARSET')) {
    c.sp();
    charset = c.astring().toUpperCase();
    c.sp();
  }
  const key = searchKeys(c);
  return { ...(charset !== undefined ? { charset } : {}), ...(returnOptions ? { returnOptions } : {}), key };
}

/** search-key *(SP search-key) to the end, several keys meaning AND; also SORT's and THREAD's criteria (RFC 5256 §5). */
export function searchKeys(c: Cursor): SearchKey {
  const keys: SearchKey[] = [searchKey(c, 0)];
  while (!c.atEnd()) {
    c.sp();
    keys.push(searchKey(c, 0));
  }
  return keys.length === 1 && keys[0] ? keys[0] : { kind: 'and', keys };
}

/** Consume the keyword `word` if it is next (followed by SP); otherwise leave the cursor where it was. */
function nextKeywordIs(c: Cursor, word: string): boolean {
  const mark = c.mark();
  if (c.peek() !== 0x28 && !startsSequenceSet(c) && !c.atLiteral() && !c.atEnd()) {
    const found = c.scan((b) => b !== 0x20 && b !== 0x28 && b !== 0x29).toString('latin1').toUpperCase();
    if (found === word) return true;
  }
  c.reset(mark);
  return false;
}
