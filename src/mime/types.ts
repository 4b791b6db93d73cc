// The result of indexing one message at append time. It is stored as the immutable cold item of the message and
// crosses JSON function boundaries, so every type here is plain JSON: no Buffer, Date, Map or undefined — an absent
// value is always null. Offsets are byte offsets into the raw message exactly as stored in the blob.

/** MIME parameters in header order: [name lower-cased, value]. RFC 2231 continuations/charsets already decoded. */
export type Params = [name: string, value: string][];

/**
 * One address of an ENVELOPE address list (RFC 3501 §7.4.2). Group syntax is encoded as IMAP does: a group start is
 * {name:null, adl:null, mailbox:<group name>, host:null}, a group end has all four fields null.
 * `name` is the raw phrase (quoted-string quotes removed, RFC 2047 words left encoded).
 */
export interface Address {
  name: string | null;
  adl: string | null;
  mailbox: string | null;
  host: string | null;
}

/**
 * ENVELOPE fields (RFC 3501 §7.4.2). Strings are raw (unfolded, trimmed, not RFC 2047 decoded). Address lists are
 * null when the header is absent or empty; sender and replyTo already default to from as the RFC requires.
 */
export interface Envelope {
  date: string | null;
  subject: string | null;
  from: Address[] | null;
  sender: Address[] | null;
  replyTo: Address[] | null;
  to: Address[] | null;
  cc: Address[] | null;
  bcc: Address[] | null;
  inReplyTo: string | null;
  messageId: string | null;
}

/**
 * One entity: the message itself (root), a multipart child, or the root of a message/rfc822 encapsulated message.
 * The header block [hs, hs+hl) includes the blank line that ends it (when there is one), so it is what
 * BODY[HEADER] / BODY[n.MIME] return; the body [bs, bs+bl) is BODY[TEXT] / BODY[n]. For a multipart child the body
 * ends before the line break that precedes the next boundary (RFC 2046 §5.1.1: that CRLF belongs to the boundary).
 */
export interface MimePart {
  /** header block start (byte offset in the raw message) */
  hs: number;
  /** header block length in octets, including the terminating blank line */
  hl: number;
  /** body start */
  bs: number;
  /** body length in octets (the body size of BODYSTRUCTURE) */
  bl: number;
  /** media type, lower-case ("text") */
  type: string;
  /** media subtype, lower-case ("plain") */
  sub: string;
  /** Content-Type parameters, or null when there are none */
  params: Params | null;
  /** Content-ID, raw */
  id: string | null;
  /** Content-Description, raw (RFC 2047 words left encoded) */
  desc: string | null;
  /** Content-Transfer-Encoding as written (trimmed), null when absent (meaning 7bit) */
  enc: string | null;
  /** body size in text lines, only for text/* and message/rfc822 parts (RFC 3501 body-fld-lines), else null */
  lines: number | null;
  /** Content-MD5, raw */
  md5: string | null;
  /** Content-Disposition value, lower-case ("attachment"), or null */
  disp: string | null;
  /** Content-Disposition parameters, or null */
  dparams: Params | null;
  /** Content-Language tags, or null */
  lang: string[] | null;
  /** Content-Location, raw (unfolded, trimmed) */
  loc: string | null;
  /** children of a multipart (at least one), else null */
  parts: MimePart[] | null;
  /** the encapsulated message of a message/rfc822 part, else null */
  msg: EncapsulatedMessage | null;
}

/** A message/rfc822 body: its envelope and its own part tree (whose root header is the inner message header). */
export interface EncapsulatedMessage {
  env: Envelope;
  root: MimePart;
}

/** Decoded header values for SEARCH and SORT. Strings are RFC 2047 decoded to UTF-8 (not lower-cased). */
export interface HeaderCache {
  from: string | null;
  to: string | null;
  cc: string | null;
  bcc: string | null;
  subject: string | null;
  /** Date header as epoch milliseconds, null when absent or unparseable */
  date: number | null;
  messageId: string | null;
  inReplyTo: string | null;
  references: string | null;
  /** every header field in order: [name lower-cased, decoded unfolded value] (capped, see MAX_HEADER_CACHE) */
  fields: [name: string, value: string][];
}

export interface MessageIndex {
  /** format version of this structure */
  v: 1;
  /** size of the whole message in octets (RFC822.SIZE) */
  size: number;
  /** lines of the whole message */
  lines: number;
  /** the message entity: header = BODY[HEADER], body = BODY[TEXT] */
  root: MimePart;
  env: Envelope;
  hdr: HeaderCache;
  /** decoded text of the text/* parts for SEARCH BODY/TEXT (UTF-8, capped at MAX_TEXT_BYTES) */
  text: string;
  /** RFC 8970 style preview: first ~200 characters of the text, whitespace collapsed */
  preview: string;
  /**
   * RFC 8474 THREADID key, when the mail store resolved the thread through earlier messages of the same user
   * (src/mailstore/thread-ids.ts); absent: derived from this message's own header fields (thread.ts threadKey).
   */
  thread?: string;
}
