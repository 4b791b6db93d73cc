// Splits the server's byte stream into whole IMAP responses (RFC 3501 §2.2.2, §4.3). A response is one line, except
// that a line ending in a literal announcement "{n}" is followed by exactly n bytes of literal data and then the rest
// of the response, which may announce further literals. Each emitted response keeps its literals in place (with
// their "{n}\r\n" announcement) so the parser can read them; the final CRLF is dropped.

/** A line longer than this without a CRLF means the stream is broken (Dovecot's own limit is 64 KiB). */
const MAX_LINE_BYTES = 1024 * 1024;
const LITERAL_AT_END = /~?\{(\d+)\}$/;
const CR = 0x0d;
const LF = 0x0a;

export class ImapFramer {
  /** Bytes not yet part of a finished line or literal. */
  private pending: Buffer = Buffer.alloc(0);
  /** Pieces of the response being assembled. */
  private parts: Buffer[] = [];
  /** Bytes of literal data still to come before line parsing resumes. */
  private literalRemaining = 0;

  constructor(private readonly onResponse: (response: Buffer) => void) {}

  push(chunk: Buffer): void {
    let data = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    this.pending = Buffer.alloc(0);
    for (;;) {
      if (this.literalRemaining > 0) {
        // Literal bytes are taken as they come, never rescanned: a 50 KB body costs no repeated copying.
        const take = Math.min(this.literalRemaining, data.length);
        this.parts.push(data.subarray(0, take));
        this.literalRemaining -= take;
        data = data.subarray(take);
        if (this.literalRemaining > 0) return;
      }
      const lf = indexOfCrlf(data);
      if (lf < 0) {
        if (data.length > MAX_LINE_BYTES) throw new Error('IMAP response line too long');
        this.pending = Buffer.from(data); // copy: the chunk's memory is not ours to keep a view of
        return;
      }
      const line = data.subarray(0, lf - 1); // without CRLF
      data = data.subarray(lf + 1);
      const literal = LITERAL_AT_END.exec(line.toString('latin1', Math.max(0, line.length - 24)));
      if (literal) {
        this.parts.push(line, Buffer.from('\r\n'));
        this.literalRemaining = Number(literal[1]);
        continue;
      }
      this.parts.push(line);
      const response = this.parts.length === 1 ? Buffer.from(line) : Buffer.concat(this.parts);
      this.parts = [];
      this.onResponse(response);
    }
  }
}

/** Index of the LF of the first CRLF, or -1. */
function indexOfCrlf(data: Buffer): number {
  let from = 0;
  for (;;) {
    const lf = data.indexOf(LF, from);
    if (lf < 0) return -1;
    if (lf > 0 && data[lf - 1] === CR) return lf;
    from = lf + 1;
  }
}
