// CommandReader: the streaming half of the IMAP parser. It turns the bytes of one connection into ReaderEvents,
// one command at a time, and never throws on anything the client sends.
//
// Contract (the session is the only caller):
// - The connection calls push(chunk) for every chunk the socket delivers and end() when the socket ends.
// - The session loop calls next() and acts on the event it resolves to; only one next() may be outstanding.
//   Commands are parsed lazily, when next() asks, so expectRawLine() before next() affects exactly the next line
//   even when the client has pipelined more (AUTHENTICATE responses, IDLE's DONE).
// - { kind: 'continue' }: a synchronizing literal `{n}` was announced and accepted; the session writes
//   "+ <text>" and calls next() again. A refused literal produces an 'error' event instead and no continuation is
//   due (RFC 3501 §7.5); the client then treats the command as finished.
// - { kind: 'command' }: a parsed Command. For APPEND it arrives as soon as the message literal is announced,
//   before any of its bytes: see LiteralBody in command.ts for the handler's obligations (consume or discard;
//   for a synchronizing literal write the continuation itself). No further event is produced until then.
// - { kind: 'error' }: answer `<tag> <status> [<code>] <text>`, or `* BAD <text>` when tag is null.
//   The reader has already resynchronised: the rest of the refused command (including non-synchronizing literal
//   bytes, RFC 7888 §4) is skipped without being buffered.
// - { kind: 'line' }: the raw line requested by expectRawLine().
// - { kind: 'end' }: the input ended; any incomplete command is dropped.
// Limits are enforced before bytes are buffered: a line longer than maxLineLength is refused as soon as that many
// bytes are held without a line end; a literal over its limit is refused on its announcement.
// Flow control: when more than highWaterMark bytes are held (the session is busy, or APPEND's consumer is slow)
// flow.pause() is called; flow.resume() once they have been taken.
import { Readable } from 'node:stream';
import type { CommandPart } from './cursor.js';
import { appendNextPrefix, appendPrefix, parseCommand, readTag } from './parse-command.js';
import type { AppendNext, Command, LiteralBody } from '../command.js';

export type ReaderEvent =
  | { readonly kind: 'command'; readonly command: Command }
  | { readonly kind: 'continue'; readonly text: string }
  | {
      readonly kind: 'error';
      readonly tag: string | null;
      readonly status: 'BAD' | 'NO';
      /** A response code atom such as TOOBIG, or undefined. */
      readonly code?: string;
      readonly text: string;
    }
  | { readonly kind: 'line'; readonly text: string }
  | { readonly kind: 'end' };

export interface FlowControl {
  pause(): void;
  resume(): void;
}

export interface CommandReaderOptions {
  /** Longest line, excluding CRLF and literal data. Default 64 KiB. */
  readonly maxLineLength?: number;
  /** Largest literal buffered as an argument (names, passwords, search strings). Default 64 KiB. */
  readonly maxLiteralSize?: number;
  /** Largest APPEND message literal; larger ones get NO [TOOBIG] (RFC 7889 §4). Default 64 MiB. */
  readonly maxAppendSize?: number;
  /** Most literals in one command. Default 32. */
  readonly maxLiteralsPerCommand?: number;
  /** True when the server advertises LITERAL- instead of LITERAL+: `{n+}` over 4096 is refused (RFC 7888 §5). */
  readonly literalMinus?: boolean;
  /** Bytes held before flow.pause(). Default (and minimum) twice maxLineLength. */
  readonly highWaterMark?: number;
  readonly flow?: FlowControl;
}

const LITERAL_MINUS_LIMIT = 4096;
/** `{n}`, `{n+}`, `~{n}` at the end of a line (RFC 3501 §9 "literal", RFC 7888, RFC 3516 "literal8"). */
const LITERAL_AT_END = /(~?)\{(\d{1,20})(\+?)\}$/;
/** Enough of a line's end to recognise a literal announcement in it. */
const TAIL_BYTES = 32;

interface ActiveBody {
  readonly stream: Readable;
  readonly synchronizing: boolean;
  /** RFC 6855 §4 utf8-literal: the line after the message starts with the closing ")". */
  readonly closeParen: boolean;
  received: number;
  finished: boolean;
  /** push() returned false and the consumer has not asked for more since. */
  blocked: boolean;
  readRequested: boolean;
  /** Settles LiteralBody.following (MULTIAPPEND); later calls are no-ops. */
  settle(next: AppendNext | null): void;
}

type State =
  | { readonly mode: 'line' }
  | { readonly mode: 'literal'; remaining: number; readonly chunks: Buffer[]; readonly binary: boolean }
  | { readonly mode: 'stream'; remaining: number; readonly body: ActiveBody }
  | { readonly mode: 'tail'; readonly body: ActiveBody }
  | { readonly mode: 'skip'; remaining: number }
  | { readonly mode: 'discard'; tail: Buffer }
  | { readonly mode: 'ended' };

function literalAtEnd(line: Buffer): { index: number; size: number; sync: boolean; binary: boolean } | null {
  // Every literal announcement ends in "}": most lines are decided by their last byte, with no string or regex.
  if (line[line.length - 1] !== 0x7d) return null;
  const tail = line.subarray(Math.max(0, line.length - TAIL_BYTES));
  const m = LITERAL_AT_END.exec(tail.toString('latin1'));
  if (!m || m[2] === undefined) return null;
  return {
    index: line.length - tail.length + m.index,
    size: Number(m[2]),
    sync: m[3] !== '+',
    binary: m[1] === '~',
  };
}

export class CommandReader {
  private readonly maxLine: number;
  private readonly maxLiteral: number;
  private readonly maxAppend: number;
  private readonly maxLiterals: number;
  private readonly literalMinus: boolean;
  private readonly highWater: number;
  private readonly flow: FlowControl | undefined;

  private buf: Buffer = Buffer.alloc(0);
  /** Where to resume looking for LF in `buf`, so a slowly arriving line is not rescanned. */
  private scanFrom = 0;
  private state: State = { mode: 'line' };
  private parts: CommandPart[] = [];
  private literalCount = 0;
  private tag: string | null = null;
  private waiter: ((event: ReaderEvent) => void) | null = null;
  private rawLine = false;
  private inputEnded = false;
  private paused = false;
  private pumping = false;

  constructor(options: CommandReaderOptions = {}) {
    this.maxLine = options.maxLineLength ?? 64 * 1024;
    this.maxLiteral = options.maxLiteralSize ?? 64 * 1024;
    this.maxAppend = options.maxAppendSize ?? 64 * 1024 * 1024;
    this.maxLiterals = options.maxLiteralsPerCommand ?? 32;
    this.literalMinus = options.literalMinus ?? false;
    // Below 2 × maxLine the reader could pause while waiting for the end of a legal line and never resume.
    this.highWater = Math.max(options.highWaterMark ?? 0, 2 * this.maxLine + 2);
    this.flow = options.flow;
  }

  /** Bytes from the socket. */
  push(chunk: Buffer): void {
    if (this.inputEnded || chunk.length === 0) return;
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    this.pump();
  }

  /** The socket ended (or was destroyed): pending next() resolves to 'end', an APPEND stream in progress errors. */
  end(): void {
    this.inputEnded = true;
    this.pump();
  }

  /** The next event. Only one call may be outstanding. */
  next(): Promise<ReaderEvent> {
    if (this.waiter) return Promise.reject(new Error('CommandReader.next() called while a previous call is pending'));
    return new Promise((resolve) => {
      this.waiter = resolve;
      this.pump();
    });
  }

  /** The next line (before any further command) is delivered raw as { kind: 'line' }: SASL responses, DONE. */
  expectRawLine(): void {
    this.rawLine = true;
  }

  private emit(event: ReaderEvent): void {
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.(event);
  }

  private consume(n: number): Buffer {
    const taken = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    this.scanFrom = 0;
    return taken;
  }

  private resetCommand(): void {
    this.parts = [];
    this.literalCount = 0;
    this.tag = null;
  }

  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.step()) {
        /* each step makes progress or reports that it cannot */
      }
    } finally {
      this.pumping = false;
    }
    this.updateFlow();
  }

  private updateFlow(): void {
    if (!this.flow) return;
    const held = this.buf.length;
    if (!this.paused && held > this.highWater && this.state.mode !== 'ended') {
      this.paused = true;
      this.flow.pause();
    } else if (this.paused && held <= this.highWater) {
      this.paused = false;
      this.flow.resume();
    }
  }

  /** One unit of work; false when nothing can happen until more bytes, a next() call or the consumer. */
  private step(): boolean {
    const state = this.state;
    switch (state.mode) {
      case 'line':
        return this.stepLine();
      case 'literal': {
        const n = Math.min(state.remaining, this.buf.length);
        if (n > 0) {
          state.chunks.push(this.consume(n));
          state.remaining -= n;
        }
        if (state.remaining === 0) {
          this.parts.push({ kind: 'literal', bytes: Buffer.concat(state.chunks), binary: state.binary });
          this.state = { mode: 'line' };
          return true;
        }
        return n > 0 || this.finishIfEnded();
      }
      case 'stream':
        return this.stepStream(state);
      case 'tail':
        return this.stepTail(state.body);
      case 'skip': {
        const n = Math.min(state.remaining, this.buf.length);
        this.consume(n);
        state.remaining -= n;
        if (state.remaining === 0) {
          this.state = { mode: 'discard', tail: Buffer.alloc(0) };
          return true;
        }
        return n > 0 || this.finishIfEnded();
      }
      case 'discard':
        return this.stepDiscard(state);
      case 'ended':
        if (this.waiter) this.emit({ kind: 'end' });
        return false;
    }
  }

  private finishIfEnded(): boolean {
    if (!this.inputEnded) return false;
    const state = this.state;
    if (state.mode === 'stream' || state.mode === 'tail') this.failBody(state.body, 'Connection closed during APPEND');
    this.state = { mode: 'ended' };
    this.buf = Buffer.alloc(0);
    return true;
  }

  private stepLine(): boolean {
    if (!this.waiter) return false;
    const lf = this.buf.indexOf(0x0a, this.scanFrom);
    if (lf < 0) {
      this.scanFrom = this.buf.length;
      if (this.buf.length > this.maxLine + 1) {
        this.refuseLongLine();
        return true;
      }
      return this.finishIfEnded();
    }
    const raw = this.consume(lf + 1);
    const line = raw.subarray(0, lf > 0 && raw[lf - 1] === 0x0d ? lf - 1 : lf);
    if (line.length > this.maxLine) {
      this.emitError(null, 'BAD', undefined, 'Line too long', line);
      this.resetCommand();
      this.afterDiscardedLine(line);
      return true;
    }
    if (this.rawLine && this.parts.length === 0) {
      this.rawLine = false;
      this.emit({ kind: 'line', text: line.toString('utf8') });
      return true;
    }
    // A stray empty line (some clients send CRLF after an APPEND literal) is not a command; skip it.
    if (this.parts.length === 0 && line.length === 0) return true;
    if (this.parts.length === 0) this.tag = readTag(line);

    const literal = literalAtEnd(line);
    if (!literal) {
      this.parts.push({ kind: 'text', bytes: line });
      const result = parseCommand(this.parts);
      this.resetCommand();
      if (result.ok) this.emit({ kind: 'command', command: result.command });
      else this.emit({ kind: 'error', tag: result.tag, status: 'BAD', text: result.text });
      return true;
    }
    this.parts.push({ kind: 'text', bytes: line.subarray(0, literal.index) });
    this.literalCount++;
    if (this.literalCount > this.maxLiterals) return this.refuseLiteral('BAD', undefined, 'Too many literals', literal);
    if (!literal.sync && this.literalMinus && literal.size > LITERAL_MINUS_LIMIT) {
      return this.refuseLiteral('BAD', 'TOOBIG', 'Non-synchronizing literal over 4096 bytes', literal);
    }
    const role = appendPrefix(this.parts);
    if (role.kind === 'error') return this.refuseLiteral('BAD', undefined, role.text, literal);
    if (role.kind === 'message') {
      if (role.utf8 && !literal.binary) return this.refuseLiteral('BAD', undefined, 'UTF8 needs a literal8 (~{n})', literal);
      if (literal.size > this.maxAppend) return this.refuseLiteral('NO', 'TOOBIG', 'Message too large', literal);
      const body = this.startBody(literal.size, literal.sync, literal.binary, role.utf8 ?? false);
      const command: Command = {
        tag: role.tag,
        name: 'APPEND',
        mailbox: role.mailbox,
        flags: role.flags,
        ...(role.internalDate ? { internalDate: role.internalDate } : {}),
        message: body,
      };
      this.resetCommand();
      this.emit({ kind: 'command', command });
      return true;
    }
    if (literal.size > this.maxLiteral) return this.refuseLiteral('BAD', 'TOOBIG', 'Literal too large', literal);
    this.state = { mode: 'literal', remaining: literal.size, chunks: [], binary: literal.binary };
    if (literal.sync) this.emit({ kind: 'continue', text: 'Ready' });
    return true;
  }

  private emitError(tag: string | null, status: 'BAD' | 'NO', code: string | undefined, text: string, firstBytes?: Buffer): void {
    const t = tag ?? this.tag ?? (this.parts.length === 0 && firstBytes ? readTag(firstBytes) : null);
    this.emit({ kind: 'error', tag: t, status, ...(code ? { code } : {}), text });
  }

  /** Refuse an announced literal: no continuation for `{n}`; skip the bytes of `{n+}`, then the rest of the command. */
  private refuseLiteral(status: 'BAD' | 'NO', code: string | undefined, text: string, literal: { size: number; sync: boolean }): true {
    this.emitError(null, status, code, text);
    this.resetCommand();
    this.state = literal.sync ? { mode: 'line' } : { mode: 'skip', remaining: literal.size };
    return true;
  }

  private refuseLongLine(): void {
    const held = this.consume(this.buf.length);
    this.emitError(null, 'BAD', undefined, 'Line too long', held);
    this.resetCommand();
    this.state = { mode: 'discard', tail: Buffer.from(held.subarray(Math.max(0, held.length - TAIL_BYTES))) };
  }

  /** After throwing away a line of a refused command: if it announced `{n+}`, those bytes belong to it too. */
  private afterDiscardedLine(line: Buffer): void {
    const literal = literalAtEnd(line);
    this.state = literal && !literal.sync ? { mode: 'skip', remaining: literal.size } : { mode: 'line' };
  }

  private stepDiscard(state: { mode: 'discard'; tail: Buffer }): boolean {
    const lf = this.buf.indexOf(0x0a);
    if (lf < 0) {
      if (this.buf.length === 0) return this.finishIfEnded();
      const joined = Buffer.concat([state.tail, this.consume(this.buf.length)]);
      state.tail = Buffer.from(joined.subarray(Math.max(0, joined.length - TAIL_BYTES)));
      return true;
    }
    const rest = this.consume(lf + 1);
    const joined = Buffer.concat([state.tail, rest.subarray(0, lf > 0 && rest[lf - 1] === 0x0d ? lf - 1 : lf)]);
    this.afterDiscardedLine(joined);
    return true;
  }

  private startBody(size: number, synchronizing: boolean, binary: boolean, closeParen = false): LiteralBody {
    let settleFollowing: (next: AppendNext | null) => void = () => undefined;
    const following = new Promise<AppendNext | null>((resolve) => {
      settleFollowing = resolve;
    });
    const active: ActiveBody = {
      settle: (next) => settleFollowing(next),
      stream: new Readable({
        read: () => {
          active.readRequested = true;
          if (active.blocked) {
            active.blocked = false;
            this.pump();
          }
        },
      }),
      synchronizing,
      closeParen,
      received: 0,
      finished: false,
      blocked: false,
      readRequested: false,
    };
    // The body may be failed (bad tail, connection closed) before the handler has attached to it, since the
    // command event is delivered asynchronously. The error stays in stream.errored and reaches any reader
    // (for await, pipeline); this listener only keeps an unobserved 'error' event from killing the process.
    active.stream.on('error', () => undefined);
    this.state = size === 0 ? { mode: 'tail', body: active } : { mode: 'stream', remaining: size, body: active };
    const skipRest = (): void => {
      active.settle(null);
      if (active.finished) return;
      const state = this.state;
      active.finished = true;
      active.stream.destroy();
      if (state.mode === 'stream' && state.body === active) this.state = { mode: 'skip', remaining: state.remaining };
      else if (state.mode === 'tail' && state.body === active) this.state = { mode: 'discard', tail: Buffer.alloc(0) };
      this.pump();
    };
    return {
      size,
      binary,
      synchronizing,
      stream: active.stream,
      refuse: () => {
        // Before a continuation the client sends nothing for a synchronizing literal: the command just ends.
        const state = this.state;
        if (synchronizing && !active.finished && state.mode === 'stream' && state.body === active && active.received === 0) {
          active.settle(null);
          active.finished = true;
          active.stream.destroy();
          this.state = { mode: 'line' };
          this.pump();
          return;
        }
        skipRest();
      },
      discard: skipRest,
      following,
    };
  }

  private stepStream(state: { mode: 'stream'; remaining: number; body: ActiveBody }): boolean {
    const body = state.body;
    if (body.blocked) return false;
    if (this.buf.length === 0) return this.finishIfEnded();
    const chunk = this.consume(Math.min(state.remaining, this.buf.length));
    state.remaining -= chunk.length;
    body.received += chunk.length;
    body.readRequested = false;
    const more = body.stream.push(chunk);
    if (!more && !body.readRequested) body.blocked = true;
    if (state.remaining === 0) this.state = { mode: 'tail', body };
    return true;
  }

  /**
   * The rest of APPEND's line after the message: empty (the command ends), or MULTIAPPEND's next message
   * `SP [flags SP] [date-time SP] literal` (RFC 3502 §6), handed to the handler through `following`.
   */
  private stepTail(body: ActiveBody): boolean {
    const lf = this.buf.indexOf(0x0a, this.scanFrom);
    if (lf < 0) {
      this.scanFrom = this.buf.length;
      if (this.buf.length > this.maxLine + 1) {
        this.failBody(body, 'Line too long after APPEND message');
        this.state = { mode: 'discard', tail: Buffer.alloc(0) };
        return true;
      }
      return this.finishIfEnded();
    }
    const raw = this.consume(lf + 1);
    let line = raw.subarray(0, lf > 0 && raw[lf - 1] === 0x0d ? lf - 1 : lf);
    if (body.closeParen) {
      if (line[0] !== 0x29) {
        this.failBody(body, 'Expected ")" after UTF8 message');
        this.afterDiscardedLine(line);
        return true;
      }
      line = line.subarray(1);
    }
    if (line.length === 0) {
      body.finished = true;
      body.settle(null);
      body.stream.push(null);
      this.state = { mode: 'line' };
      return true;
    }
    const literal = literalAtEnd(line);
    const prefix = literal ? appendNextPrefix(line.subarray(0, literal.index)) : null;
    if (literal && prefix?.ok && !(prefix.utf8 && !literal.binary)) {
      const message = this.startBody(literal.size, literal.sync, literal.binary, prefix.utf8 ?? false); // sets this.state
      body.finished = true;
      body.settle({ flags: prefix.flags, ...(prefix.internalDate ? { internalDate: prefix.internalDate } : {}), message });
      body.stream.push(null);
      return true;
    }
    this.failBody(body, 'Unexpected data after APPEND message');
    this.afterDiscardedLine(line);
    return true;
  }

  private failBody(body: ActiveBody, message: string): void {
    body.settle(null);
    if (body.finished) return;
    body.finished = true;
    body.stream.destroy(new Error(message));
  }
}
