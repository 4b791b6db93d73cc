// The COMPRESS=DEFLATE layer (RFC 4978): a duplex stream over the connection's socket (plain or TLS, RFC 4978 §3:
// compress first, then encrypt) that inflates what the client sends and deflates what the server writes. Raw
// DEFLATE (RFC 1951, no zlib header; windowBits -8..-15 per §4). Everything written in one turn of the event loop —
// one burst of responses — is followed by a Z_SYNC_FLUSH, so the client can decode each burst at once.
import type { Duplex as DuplexType } from 'node:stream';
import { Duplex } from 'node:stream';
import { constants, createDeflateRaw, createInflateRaw } from 'node:zlib';

export class DeflateChannel extends Duplex {
  private readonly deflate = createDeflateRaw();
  private readonly inflate = createInflateRaw();
  private flushScheduled = false;

  constructor(private readonly socket: DuplexType) {
    super();
    this.deflate.pipe(socket);
    socket.pipe(this.inflate);
    this.inflate.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) this.inflate.pause();
    });
    this.inflate.on('end', () => this.push(null));
    // Data that does not inflate, or a broken socket: the session cannot continue.
    this.inflate.on('error', (err) => this.destroy(err));
    this.deflate.on('error', (err) => this.destroy(err));
    socket.on('close', () => this.destroy());
  }

  override _read(): void {
    this.inflate.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.deflate.write(chunk, callback);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      if (!this.deflate.destroyed) this.deflate.flush(constants.Z_SYNC_FLUSH);
    });
  }

  override _final(callback: (error?: Error | null) => void): void {
    // The deflate stream's end finishes the DEFLATE data; pipe() then ends the socket.
    this.deflate.end(() => callback());
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.deflate.destroy();
    this.inflate.destroy();
    this.socket.destroy();
    callback(err);
  }
}
