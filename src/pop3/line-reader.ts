// Socket bytes → command lines (CRLF, or a bare LF from sloppy clients), with the line-length limit enforced: an
// over-long line is reported once and then discarded up to its end, never buffered. The socket is paused while
// lines are waiting (a pipelining client cannot make us queue without bound) and resumed as they are taken.

export type LineEvent = { kind: 'line'; text: string } | { kind: 'too-long' } | { kind: 'end' };

const MAX_QUEUED = 64;

export class LineReader {
  private partial: Buffer[] = [];
  private partialLength = 0;
  private discarding = false;
  private readonly queue: LineEvent[] = [];
  private waiter: ((event: LineEvent) => void) | undefined;
  private ended = false;

  constructor(
    private readonly maxLineBytes: number,
    private readonly flow: { pause(): void; resume(): void },
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length) {
      const lf = chunk.indexOf(0x0a, start);
      const end = lf < 0 ? chunk.length : lf;
      if (!this.discarding) {
        this.partial.push(chunk.subarray(start, end));
        this.partialLength += end - start;
        if (this.partialLength > this.maxLineBytes + 1) {
          this.partial = [];
          this.partialLength = 0;
          this.discarding = true;
          this.emit({ kind: 'too-long' });
        }
      }
      if (lf < 0) break;
      if (this.discarding) this.discarding = false;
      else this.emitLine();
      start = lf + 1;
    }
    if (this.queue.length >= MAX_QUEUED) this.flow.pause();
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.emit({ kind: 'end' });
  }

  next(): Promise<LineEvent> {
    const event = this.queue.shift();
    if (event) {
      if (this.queue.length < MAX_QUEUED) this.flow.resume();
      if (event.kind === 'end') this.queue.unshift(event); // stays at the end for every later caller
      return Promise.resolve(event);
    }
    return new Promise((resolve) => (this.waiter = resolve));
  }

  private emitLine(): void {
    let line = Buffer.concat(this.partial, this.partialLength);
    this.partial = [];
    this.partialLength = 0;
    if (line.length > 0 && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
    this.emit({ kind: 'line', text: line.toString('utf8') });
  }

  private emit(event: LineEvent): void {
    if (this.ended && event.kind !== 'end') return;
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
      if (event.kind === 'end') this.queue.push(event);
      waiter(event);
    } else {
      this.queue.push(event);
    }
  }
}
