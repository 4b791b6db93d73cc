// The multi-line body of RETR and TOP (RFC 1939 §3): every line ends in CRLF, a line starting with "." gets one more
// ".", and the response ends with ".\r\n". Works chunk by chunk on a stream, so a message is never held whole; TOP
// stops after the header, the blank line and n body lines. Pure: no I/O.

const LF = 0x0a;
const CR = 0x0d;
const DOT = 0x2e;
const DOT_BUF = Buffer.from('.');
const CRLF = Buffer.from('\r\n');
const LF_BUF = Buffer.from('\n');
export const TERMINATOR = Buffer.from('.\r\n');

export class DotStuffer {
  private atLineStart = true;
  private lineLength = 0;
  private lastByte = -1;
  private inHeader = true;
  private bodyLinesLeft: number;
  /** TOP has sent all it should: the caller can stop reading the message. */
  finished = false;

  /** `bodyLines`: TOP's n (lines of body after the header); undefined for the whole message (RETR). */
  constructor(bodyLines?: number) {
    this.bodyLinesLeft = bodyLines ?? Infinity;
  }

  push(chunk: Uint8Array): Buffer[] {
    const out: Buffer[] = [];
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let i = 0;
    while (i < bytes.length && !this.finished) {
      if (this.atLineStart) {
        if (!this.inHeader && this.bodyLinesLeft <= 0) {
          this.finished = true;
          break;
        }
        if (bytes[i] === DOT) out.push(DOT_BUF);
        this.atLineStart = false;
        this.lineLength = 0;
      }
      const lf = bytes.indexOf(LF, i);
      const end = lf < 0 ? bytes.length : lf;
      if (end > i) {
        out.push(bytes.subarray(i, end));
        this.lineLength += end - i;
        this.lastByte = bytes[end - 1]!;
      }
      if (lf < 0) break;
      // A bare LF becomes CRLF; a CRLF's CR went out with the line.
      const endedWithCr = this.lineLength > 0 && this.lastByte === CR;
      out.push(endedWithCr ? LF_BUF : CRLF);
      const empty = this.lineLength === 0 || (this.lineLength === 1 && endedWithCr);
      if (this.inHeader) {
        if (empty) this.inHeader = false;
      } else {
        this.bodyLinesLeft -= 1;
      }
      this.atLineStart = true;
      this.lastByte = LF;
      i = lf + 1;
    }
    return out;
  }

  /** The rest of the response: a CRLF if the message's last line had none, then ".\r\n". */
  end(): Buffer[] {
    if (!this.atLineStart && !this.finished) {
      this.atLineStart = true;
      return [this.lastByte === CR ? LF_BUF : CRLF, TERMINATOR];
    }
    return [TERMINATOR];
  }
}

/** A single line of a multi-line listing (CAPA, LIST, UIDL), byte-stuffed like a message line. */
export function stuffLine(line: string): string {
  return (line.startsWith('.') ? '.' : '') + line + '\r\n';
}
