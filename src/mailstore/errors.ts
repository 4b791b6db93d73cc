// The mail store's outcomes that are not success. Protocols map `code` to their own answers in one place each.

export type MailStoreErrorCode =
  | 'AUTHENTICATIONFAILED' // wrong login or password
  | 'UNAUTHORIZED' // missing, forged or expired session token
  | 'NONEXISTENT' // the mailbox (or message) does not exist
  | 'ALREADYEXISTS'
  | 'TRYCREATE' // the target mailbox of APPEND/COPY does not exist
  | 'CANNOT' // the operation can never succeed (e.g. DELETE INBOX)
  | 'NOPERM'
  | 'OVERQUOTA'
  | 'LIMIT' // a size or count limit
  | 'BADREQUEST' // the request itself is malformed
  | 'UNAVAILABLE'; // the store kept failing; try again later

export class MailStoreError extends Error {
  override name = 'MailStoreError';
  constructor(
    readonly code: MailStoreErrorCode,
    message: string,
  ) {
    super(message);
  }
}
