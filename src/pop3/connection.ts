// One POP3 connection: greets, reads command lines, runs one command at a time (pipelined commands wait in the
// reader, RFC 2449 PIPELINING), and maps every failure to "-ERR" in one place (responses.ts). No exception from a
// command escapes: the process must outlive any client. A connection that ends without QUIT (drop, idle timeout,
// server shutdown) changes nothing in the store; its maildrop lease is released. STLS (RFC 2595 §4) swaps the
// socket, reader and output for TLS ones after its "+OK"; whatever the client pipelined before the handshake is
// dropped, never executed.
import type { Socket } from 'node:net';
import { upgradeToTls } from '../imap/tls.js';
import { COMMANDS } from './commands/index.js';
import type { CommandContext, Pop3Deps, SessionState } from './context.js';
import { LineReader } from './line-reader.js';
import type { LineEvent } from './line-reader.js';
import { Output } from './output.js';
import { parseCommand } from './parser.js';
import { errLine, failureLine } from './responses.js';
import { DEFAULT_LEASE_SECONDS, MAILDROP } from './sign-in.js';

/** How long a shutdown waits for the command in progress (e.g. a RETR to a slow client) before cutting it off. */
const SHUTDOWN_GRACE_MS = 10_000;
const DEFAULT_IDLE_TIMEOUT_MS = 10 * 60 * 1000;

export class Pop3Connection {
  // socket, reader, out and ctx are replaced once by STLS (startTls below); deps is this connection's own copy.
  private reader: LineReader;
  private out: Output;
  private readonly state: SessionState = { phase: 'authorization', pendingUser: undefined, transaction: undefined };
  private ctx: CommandContext;
  private readonly deps: Pop3Deps;
  private tlsRequested = false;
  private stopping: string | null = null;
  private wakeForShutdown: () => void = () => undefined;
  private readonly shutdownSignal: Promise<{ kind: 'shutdown' }>;
  private finished: Promise<void> = Promise.resolve();
  private leaseTimer: NodeJS.Timeout | undefined;
  private leaseToken: string | undefined;

  constructor(
    private socket: Socket,
    deps: Pop3Deps,
  ) {
    this.deps = { ...deps };
    this.reader = this.newReader(socket);
    this.out = new Output(socket);
    this.ctx = this.newContext();
    this.shutdownSignal = new Promise((resolve) => {
      this.wakeForShutdown = () => resolve({ kind: 'shutdown' });
    });
  }

  private newReader(socket: Socket): LineReader {
    return new LineReader(this.deps.limits.maxLineBytes, { pause: () => socket.pause(), resume: () => socket.resume() });
  }

  private newContext(): CommandContext {
    return {
      deps: this.deps,
      out: this.out,
      reader: this.reader,
      state: this.state,
      lease: { keep: (token) => this.keepLease(token), release: () => this.releaseLease() },
      ...(this.deps.tls && !this.deps.secure ? { startTls: () => void (this.tlsRequested = true) } : {}),
    };
  }

  private readonly onData = (chunk: Buffer): void => this.reader.push(chunk);

  private attach(socket: Socket, label: string): void {
    socket.on('data', this.onData);
    socket.on('end', () => this.reader.end());
    socket.on('close', () => this.reader.end());
    socket.on('error', (err) => {
      this.deps.logger.info({ err: err.message }, label);
      this.reader.end();
    });
    // RFC 1939 §3: an inactivity autologout timer of at least 10 minutes; it ends the session without UPDATE.
    socket.setTimeout(this.deps.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS, () => socket.destroy());
  }

  start(): void {
    const socket = this.socket;
    this.attach(socket, 'pop3 socket error');
    this.finished = this.run()
      .catch((err: unknown) => {
        this.deps.logger.error({ err }, 'pop3 connection failed');
        socket.destroy();
      })
      .finally(() => this.releaseLease());
  }

  /** Resolves when the session is over and its lease released. */
  done(): Promise<void> {
    return this.finished;
  }

  /** Ends the session once the command in progress has finished; marked deletions are not applied (no QUIT). */
  async shutdown(reason: string): Promise<void> {
    if (this.stopping === null) this.stopping = reason;
    this.wakeForShutdown();
    const cutoff = setTimeout(() => this.socket.destroy(), SHUTDOWN_GRACE_MS);
    cutoff.unref();
    await this.finished;
    clearTimeout(cutoff);
  }

  private async run(): Promise<void> {
    await this.out.write('+OK Stratus POP3 ready\r\n');
    for (;;) {
      if (this.stopping !== null) {
        await this.out.write(errLine(this.stopping, 'SYS/TEMP')).catch(() => undefined);
        break;
      }
      const event: LineEvent | { kind: 'shutdown' } = await Promise.race([this.reader.next(), this.shutdownSignal]);
      if (event.kind === 'shutdown') continue;
      if (event.kind === 'end') break;
      if (event.kind === 'too-long') await this.answer(errLine('Line too long'));
      else await this.execute(event.text);
      if (this.tlsRequested) await this.startTls();
      if (this.state.phase === 'update' || this.out.isClosed) break;
    }
    await this.out.end();
  }

  private async execute(line: string): Promise<void> {
    await this.deps.commandRate?.take();
    const parsed = parseCommand(line);
    if (!parsed.ok) return this.answer(errLine(parsed.text));
    const { command } = parsed;
    const spec = COMMANDS[command.verb];
    if (!spec) return this.answer(errLine('Unknown command'));
    if (!spec.states.includes(this.state.phase)) {
      return this.answer(errLine(`${command.verb} is not valid in the ${this.state.phase.toUpperCase()} state`));
    }
    try {
      await spec.run(command, this.ctx);
    } catch (err) {
      if (this.out.isClosed) return;
      const failure = failureLine(err);
      if (failure.bug) this.deps.logger.error({ err, command: command.verb }, 'pop3 command failed');
      if (failure.fatal) this.stopping = 'Session expired';
      // A failure in the middle of a streamed body cannot be told apart from message bytes: end the connection.
      if (err instanceof Error && err.message === 'connection closed') return;
      await this.answer(failure.line);
    }
  }

  /**
   * STLS after its "+OK": the TLS handshake takes over the socket; a new reader and output serve the rest of the
   * session, so plaintext pipelined behind STLS is dropped (RFC 2595 §4), and the USER given before it forgotten.
   */
  private async startTls(): Promise<void> {
    this.tlsRequested = false;
    const context = this.deps.tls;
    if (!context) return;
    const raw = this.socket;
    raw.off('data', this.onData);
    raw.setTimeout(0);
    this.reader.end();
    const secure = await upgradeToTls(raw, context);
    if (!secure) {
      raw.destroy();
      this.reader = this.newReader(raw); // nothing pipelined before the failed handshake runs either
      this.reader.end();
      return;
    }
    this.socket = secure;
    this.deps.secure = true;
    this.state.pendingUser = undefined;
    this.reader = this.newReader(secure);
    this.out = new Output(secure);
    this.ctx = this.newContext();
    this.attach(secure, 'pop3 tls socket error');
  }

  private async answer(line: string): Promise<void> {
    try {
      await this.out.write(line);
    } catch {
      this.socket.destroy();
    }
  }

  private keepLease(token: string): void {
    const ttlSeconds = this.deps.leaseSeconds ?? DEFAULT_LEASE_SECONDS;
    this.leaseToken = token;
    this.leaseTimer = setInterval(() => {
      this.deps.store.call('mailbox.lease', { token, path: MAILDROP, ttlSeconds }).then(
        (lease) => {
          if (!lease.acquired) this.deps.logger.warn({ protocol: 'pop3' }, 'maildrop lease lost to another session');
        },
        (err: unknown) => this.deps.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'maildrop lease refresh failed'),
      );
    }, (ttlSeconds * 1000) / 3);
    this.leaseTimer.unref();
  }

  private async releaseLease(): Promise<void> {
    clearInterval(this.leaseTimer);
    this.leaseTimer = undefined;
    const token = this.leaseToken;
    this.leaseToken = undefined;
    if (token === undefined) return;
    try {
      await this.deps.store.call('mailbox.lease', { token, path: MAILDROP, ttlSeconds: 1, release: true });
    } catch (err) {
      this.deps.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'maildrop lease release failed');
    }
  }
}
