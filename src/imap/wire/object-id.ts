// RFC 8474 object ids as sent on the wire. Stratus's ids are ULIDs (they start with a digit), so each kind gets a
// one-letter prefix, as §8.1 advises, which also keeps EMAILIDs and THREADIDs apart (§5.2 "MUST NOT use the same
// ObjectID value for both").
import { threadKey } from '../../mime/index.js';
import type { MessageIndex } from '../../mime/index.js';

export const mailboxObjectId = (mailboxId: string): string => `F${mailboxId}`;

export const emailObjectId = (emailId: string): string => `M${emailId}`;

/**
 * The message's thread: the key the mail store resolved through earlier messages (src/mailstore/thread-ids.ts),
 * else the one its own header fields name (src/mime/thread.ts); a message naming no msg-id is a thread of its own.
 */
export function threadObjectId(index: MessageIndex, emailId: string): string {
  const key = index.thread ?? threadKey(index.hdr);
  return key === null ? `S${emailId}` : `T${key}`;
}
