// The one place where a failure becomes an IMAP answer. Commands throw (MailStoreError from the store, ImapFailure
// for protocol-level refusals); the session catches and asks `failureResponse` what to send. Response codes are
// RFC 5530's, plus TRYCREATE (RFC 3501 §7.1) and BADCHARSET (RFC 3501 §6.4.4).
import { MailStoreError } from '../mailstore/errors.js';
import type { MailStoreErrorCode } from '../mailstore/errors.js';
import type { ResponseCodeValue } from './encoder.js';

export type ResponseCode =
  | 'ALERT'
  | 'AUTHENTICATIONFAILED'
  | 'AUTHORIZATIONFAILED'
  | 'PRIVACYREQUIRED'
  | 'UNAVAILABLE'
  | 'NONEXISTENT'
  | 'ALREADYEXISTS'
  | 'TRYCREATE'
  | 'CANNOT'
  | 'NOPERM'
  | 'OVERQUOTA'
  | 'LIMIT'
  | 'SERVERBUG'
  | 'CLIENTBUG'
  | 'BADCHARSET'
  | 'EXPUNGEISSUED'
  | 'READ-ONLY'
  /** RFC 9586 §3: a sequence number after ENABLE UIDONLY. */
  | 'UIDREQUIRED'
  /** RFC 3516 §4.3: the section's Content-Transfer-Encoding cannot be decoded. */
  | 'UNKNOWN-CTE';

/** A refusal decided by the protocol layer itself (wrong state, bad argument, missing mailbox selected…). */
export class ImapFailure extends Error {
  override name = 'ImapFailure';
  constructor(
    readonly status: 'NO' | 'BAD',
    readonly code: ResponseCode | ResponseCodeValue | null,
    text: string,
  ) {
    super(text);
  }
}

export const no = (code: ResponseCode | ResponseCodeValue | null, text: string): ImapFailure => new ImapFailure('NO', code, text);
export const bad = (text: string, code: ResponseCode | null = null): ImapFailure => new ImapFailure('BAD', code, text);

export interface FailureResponse {
  status: 'NO' | 'BAD';
  code: ResponseCodeValue | null;
  text: string;
  /** True when the failure is a defect of ours (to be logged at error level). */
  bug: boolean;
  /** True when the session's token is no longer accepted: the connection should end (BYE). */
  fatal: boolean;
}

const STORE_CODES: Record<MailStoreErrorCode, { status: 'NO' | 'BAD'; code: ResponseCode | null; text?: string }> = {
  AUTHENTICATIONFAILED: { status: 'NO', code: 'AUTHENTICATIONFAILED', text: 'Authentication failed' },
  UNAUTHORIZED: { status: 'NO', code: 'UNAVAILABLE', text: 'Session expired, please log in again' },
  NONEXISTENT: { status: 'NO', code: 'NONEXISTENT' },
  ALREADYEXISTS: { status: 'NO', code: 'ALREADYEXISTS' },
  TRYCREATE: { status: 'NO', code: 'TRYCREATE' },
  CANNOT: { status: 'NO', code: 'CANNOT' },
  NOPERM: { status: 'NO', code: 'NOPERM' },
  OVERQUOTA: { status: 'NO', code: 'OVERQUOTA' },
  LIMIT: { status: 'NO', code: 'LIMIT' },
  BADREQUEST: { status: 'BAD', code: 'CLIENTBUG' },
  UNAVAILABLE: { status: 'NO', code: 'UNAVAILABLE', text: 'Mail store unavailable, try again later' },
};

/** Maps anything a command threw to the tagged response (RFC 5530 codes). Never throws. */
export function failureResponse(error: unknown): FailureResponse {
  if (error instanceof ImapFailure) return { status: error.status, code: error.code, text: error.message, bug: false, fatal: false };
  if (error instanceof MailStoreError) {
    const mapped = STORE_CODES[error.code];
    return {
      status: mapped.status,
      code: mapped.code,
      text: mapped.text ?? (sanitize(error.message) || 'Failed'),
      bug: false,
      fatal: error.code === 'UNAUTHORIZED',
    };
  }
  return { status: 'NO', code: 'SERVERBUG', text: 'Internal server error', bug: true, fatal: false };
}

/** Resp-text may not contain CR/LF, and "[" at the start would be read as a response code. */
function sanitize(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').replace(/^\[/, '(').slice(0, 200);
}
