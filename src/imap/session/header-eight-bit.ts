// RFC 6855 §4: "If an IMAP server supports "UTF8=ACCEPT" and the IMAP client has not issued the "ENABLE UTF8=ACCEPT"
// command, the server MUST reject, with a "NO" response, an "APPEND" command that includes any 8-bit character in
// message header fields." APPEND streams the literal into the blob store and never holds it whole, so the header is
// watched on its way through: a pass-through stream that looks at the octets up to the first empty line (the end
// of the message header, RFC 5322 §2.1) and stops looking there. Body octets are never inspected — 8-bit bodies
// are ordinary MIME (8BIT / BINARY content-transfer-encoding) in every session.
import { finished, Transform, type Readable, type TransformCallback } from 'node:stream';

const LF = 0x0a;
const CR = 0x0d;

/** The scan itself, fed chunk by chunk (a stream) or with the whole message (a literal held in memory). */
class HeaderScan {
  /** Set once an octet ≥ 0x80 was seen before the first empty line. */
  eightBit = false;
  inHeader = true;
  /** At the first octet of a line (the message's first line included: an empty header is legal). */
  private lineStart = true;
  /** A CR was the first octet of the current line: a following LF ends the header. */
  private crFirst = false;

  scan(chunk: Uint8Array): void {
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (b >= 0x80) {
        this.eightBit = true;
        this.inHeader = false;
        return;
      }
      if (b === LF) {
        // CRLF CRLF, and bare LF LF as some clients send it, both end the header.
        if (this.lineStart || this.crFirst) {
          this.inHeader = false;
          return;
        }
        this.lineStart = true;
      } else {
        this.crFirst = b === CR && this.lineStart;
        this.lineStart = false;
      }
    }
  }
}

export class HeaderEightBitWatch extends Transform {
  private readonly header = new HeaderScan();

  /** Set once an octet ≥ 0x80 was seen before the first empty line. */
  get eightBit(): boolean {
    return this.header.eightBit;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    if (this.header.inHeader) this.header.scan(chunk);
    done(null, chunk);
  }
}

/** The same check on a message held whole (APPEND of a literal small enough to hold, append.ts). */
export function headerHasEightBit(message: Uint8Array): boolean {
  const header = new HeaderScan();
  header.scan(message);
  return header.eightBit;
}

/**
 * Pipes `source` through a watch. A source that breaks off — errored or destroyed before its end, possibly before
 * this is called (the reader may have failed a MULTIAPPEND message it already read past) — fails the watch too, so
 * the blob put reading from it fails instead of waiting for an end that never comes. Unlike pipeline(), a failing
 * put never destroys the source: the handler still decides how to leave the literal (discard or refuse).
 */
export function watchHeader(source: Readable): HeaderEightBitWatch {
  const watch = new HeaderEightBitWatch();
  // As on the reader's own streams: the error stays in watch.errored and reaches the put when it starts reading;
  // this listener only keeps an 'error' emitted before then from becoming an uncaught exception.
  watch.on('error', () => undefined);
  finished(source, { writable: false }, (err) => {
    if (err) watch.destroy(err);
  });
  source.pipe(watch);
  return watch;
}
