// The one place where a failure becomes a POP3 answer: "-ERR [CODE] text" with RFC 2449 §8 / RFC 3206 response
// codes. Commands throw (Pop3Failure for protocol refusals, MailStoreError from the store); the connection asks
// `failureLine` what to send. Never throws.
import { MailStoreError } from '../mailstore/errors.js';
import type { MailStoreErrorCode } from '../mailstore/errors.js';

/** RFC 2449 §8.1 (LOGIN-DELAY, IN-USE) and RFC 3206 (SYS/TEMP, SYS/PERM, AUTH). */
export type RespCode = 'IN-USE' | 'LOGIN-DELAY' | 'SYS/TEMP' | 'SYS/PERM' | 'AUTH';

export class Pop3Failure extends Error {
  override name = 'Pop3Failure';
  constructor(
    readonly code: RespCode | null,
    text: string,
  ) {
    super(text);
  }
}

export const fail = (text: string, code: RespCode | null = null): Pop3Failure => new Pop3Failure(code, text);

export interface FailureLine {
  line: string;
  /** A defect of ours, to be logged at error level. */
  bug: boolean;
  /** The session's token is no longer accepted: end the connection. */
  fatal: boolean;
}

const STORE_CODES: Record<MailStoreErrorCode, { code: RespCode | null; text?: string }> = {
  AUTHENTICATIONFAILED: { code: 'AUTH', text: 'Authentication failed' },
  UNAUTHORIZED: { code: 'AUTH', text: 'Session expired, please log in again' },
  NONEXISTENT: { code: 'SYS/PERM' },
  ALREADYEXISTS: { code: 'SYS/PERM' },
  TRYCREATE: { code: 'SYS/PERM' },
  CANNOT: { code: 'SYS/PERM' },
  NOPERM: { code: 'SYS/PERM' },
  OVERQUOTA: { code: 'SYS/PERM' },
  LIMIT: { code: null },
  BADREQUEST: { code: null },
  UNAVAILABLE: { code: 'SYS/TEMP', text: 'Mail store unavailable, try again later' },
};

export function errLine(text: string, code: RespCode | null = null): string {
  return `-ERR ${code ? `[${code}] ` : ''}${sanitize(text) || 'Failed'}\r\n`;
}

export function failureLine(error: unknown): FailureLine {
  if (error instanceof Pop3Failure) return { line: errLine(error.message, error.code), bug: false, fatal: false };
  if (error instanceof MailStoreError) {
    const mapped = STORE_CODES[error.code];
    return { line: errLine(mapped.text ?? error.message, mapped.code), bug: false, fatal: error.code === 'UNAUTHORIZED' };
  }
  return { line: errLine('Internal server error', 'SYS/TEMP'), bug: true, fatal: false };
}

/** No CR/LF inside a status line, and no "[" first (it would read as a response code). */
function sanitize(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').replace(/^\[/, '(').slice(0, 200);
}
