// Pure POP3 command parsing (RFC 1939 §3, RFC 2449 §4): a keyword, then arguments separated by single spaces.
// No I/O and no store: tested exhaustively without sockets.
import { decodeSaslBase64 } from '../auth/sasl-base64.js';

export interface Pop3Command {
  /** Upper-cased keyword, e.g. "RETR". */
  verb: string;
  args: string[];
  /** Everything after the keyword and one space, verbatim: PASS takes it whole, so passwords may hold spaces. */
  rest: string;
}

export type ParseResult = { ok: true; command: Pop3Command } | { ok: false; text: string };

/** RFC 1939: keywords are three or four characters; RFC 2449 extensions keep to printable ASCII. */
const KEYWORD = /^[A-Za-z]{3,4}$/;
/** RFC 1939 §3: arguments up to 40 characters; SASL initial responses are longer (RFC 5034), so we allow more. */
const MAX_ARGS = 8;

export function parseCommand(line: string): ParseResult {
  if (line.length === 0) return { ok: false, text: 'Empty command' };
  const space = line.indexOf(' ');
  const keyword = space < 0 ? line : line.slice(0, space);
  if (!KEYWORD.test(keyword)) return { ok: false, text: 'Unknown command' };
  const rest = space < 0 ? '' : line.slice(space + 1);
  const args = rest === '' ? [] : rest.split(' ');
  if (args.length > MAX_ARGS || args.some((a) => a.length === 0)) {
    // PASS is exempt: its argument is the rest of the line, spaces and all.
    if (keyword.toUpperCase() !== 'PASS') return { ok: false, text: 'Malformed arguments' };
  }
  return { ok: true, command: { verb: keyword.toUpperCase(), args, rest } };
}

/** A message-number argument (RFC 1939 §3): a positive decimal without sign or leading zeros beyond "0". */
export function parseMessageNumber(arg: string | undefined): number | undefined {
  if (arg === undefined || !/^[1-9][0-9]{0,9}$/.test(arg)) return undefined;
  const n = Number(arg);
  return n <= 0x7fffffff ? n : undefined;
}

/** TOP's line count: a non-negative decimal. */
export function parseLineCount(arg: string | undefined): number | undefined {
  if (arg === undefined || !/^(0|[1-9][0-9]{0,9})$/.test(arg)) return undefined;
  const n = Number(arg);
  return n <= 0x7fffffff ? n : undefined;
}

/** RFC 4648 base64 as RFC 5034 §4 demands it: no stray characters, padding only at the end. "=" is empty. */
export function decodeSaslResponse(text: string): Buffer | undefined {
  return decodeSaslBase64(text);
}
