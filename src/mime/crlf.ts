// Line-ending normalisation for the ingest path. IMAP sizes and offsets are those of the bytes we serve, and IMAP
// (RFC 3501 §2.3.4) expects CRLF lines; storing bare-LF mail as received would make RFC822.SIZE and the part sizes
// differ from what other servers report for the same message. Call this before storing and indexing.

const LF = 0x0a;
const CR = 0x0d;

/** Returns the bytes with every bare LF turned into CRLF; the same object when there is none (no copy). */
export function toCrlf(raw: Uint8Array): Uint8Array {
  let bare = 0;
  let pos = raw.indexOf(LF);
  while (pos >= 0) {
    if (pos === 0 || raw[pos - 1] !== CR) bare++;
    pos = raw.indexOf(LF, pos + 1);
  }
  if (bare === 0) return raw;
  const out = new Uint8Array(raw.length + bare);
  let o = 0;
  let from = 0;
  pos = raw.indexOf(LF);
  while (pos >= 0) {
    if (pos === 0 || raw[pos - 1] !== CR) {
      out.set(raw.subarray(from, pos), o);
      o += pos - from;
      out[o++] = CR;
      from = pos;
    }
    pos = raw.indexOf(LF, pos + 1);
  }
  out.set(raw.subarray(from), o);
  return out;
}
