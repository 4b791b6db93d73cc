// The thread a message belongs to, for RFC 8474 THREADID: the root of its References chain (RFC 5322 §3.6.4: the
// first msg-id of References is the thread's first message), else its In-Reply-To, else its own Message-ID. Computed
// from the cold item's header cache, so it is the same for every copy of a message and never changes once reported
// (RFC 8474 §5.2), and a message is in the same thread in every mailbox.
import { hash } from 'node:crypto';
import type { HeaderCache } from './types.js';

const MSG_ID = /<[^<>\s]+>/;

function firstMsgId(value: string | null): string | null {
  if (value === null) return null;
  return MSG_ID.exec(value)?.[0] ?? null;
}

/** The msg-id naming the message's thread, or null when the message has no msg-id at all. */
export function threadRoot(hdr: Pick<HeaderCache, 'references' | 'inReplyTo' | 'messageId'>): string | null {
  return firstMsgId(hdr.references) ?? firstMsgId(hdr.inReplyTo) ?? firstMsgId(hdr.messageId);
}

/**
 * A short digest of the thread root (24 hex digits of SHA-256), or null when the message names no msg-id; the
 * caller then gives the message a thread of its own.
 */
export function threadKey(hdr: Pick<HeaderCache, 'references' | 'inReplyTo' | 'messageId'>): string | null {
  const root = threadRoot(hdr);
  return root === null ? null : rootKey(root);
}

/** The thread key of a root msg-id: 24 hex digits of its SHA-256 (of its UTF-8; one-shot `hash`, no Hash object). */
export function rootKey(root: string): string {
  return hash('sha256', root, 'hex').slice(0, 24);
}

/** Every msg-id of a header field (References lists them oldest first, RFC 5322 §3.6.4), in order. */
export function msgIds(value: string | null): string[] {
  if (value === null) return [];
  return [...value.matchAll(/<[^<>\s]+>/g)].map((m) => m[0]);
}
