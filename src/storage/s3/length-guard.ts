// Passes a body through while counting it, and fails the stream when it ends short of (or runs past) the announced
// length, so an upload of the wrong size is aborted instead of being stored.
import { Transform, type TransformCallback } from 'node:stream';

export class LengthGuard extends Transform {
  private seen = 0;

  constructor(private readonly expected: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.expected) {
      callback(new Error(`body is longer than the announced ${this.expected} bytes`));
      return;
    }
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.seen !== this.expected) {
      callback(new Error(`body ended after ${this.seen} of the announced ${this.expected} bytes`));
      return;
    }
    callback();
  }
}
