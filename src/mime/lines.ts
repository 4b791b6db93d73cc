// Line counting on bytes (RFC 3501 body-fld-lines, and the whole-message line count).

const LF = 0x0a;

/**
 * Number of lines in [start, end): the number of LF octets. A last line without a line break is not counted; this
 * matches Dovecot, and in a multipart the CRLF before a boundary belongs to the boundary (RFC 2046 §5.1.1).
 */
export function countLines(buf: Uint8Array, start: number, end: number): number {
  if (end <= start) return 0;
  const view = buf.subarray(start, end);
  let count = 0;
  let pos = view.indexOf(LF);
  while (pos >= 0) {
    count++;
    pos = view.indexOf(LF, pos + 1);
  }
  return count;
}
