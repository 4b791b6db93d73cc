// One IMAP connection: feeds socket bytes to the CommandReader, runs one command at a time through the dispatcher,
// flushes the selected view's pending changes before each tagged answer, and maps every failure to a response in
// one place (response-codes.ts). No exception from a command escapes: the process must outlive any client.
import type { Socket } from 'node:net';
import type { SecureContext } from 'node:tls';
import type { MailStoreClient } from '../mailstore/client.js';
import type { Command } from './command.js';
import { CommandReader } from './parser/command-reader.js';
import type { ReaderEvent } from './parser/command-reader.js';
import { failureResponse } from './response-codes.js';
import { capabilities } from './capabilities.js';
import { Output } from './session/output.js';
import { SessionState } from './session/state.js';
import type { CommandContext } from './session/context.js';
import { allowsExpunge, dispatch } from './session/dispatch.js';
import { updateResponse } from './session/updates.js';
import { claimRecent } from './session/recent.js';
import type { MailboxCache } from '../mailstore/mailbox-cache.js';
import type { KeepaliveTicker } from './session/keepalive.js';
import type { NotifyHub } from './session/notify-hub.js';
import { processAutologout } from './session/autologout.js';
import type { AutologoutClock, Inactive } from './session/autologout.js';
import { upgradeToTls } from './tls.js';
import { DeflateChannel } from './deflate-channel.js';
import { WriteCoalescer } from './write-coalescing.js';
import { statusResponse } from './encoder.js';
import type { Duplex } from 'node:stream';
import type { LoginThrottle } from '../auth/login-throttle.js';
import type { SignInGuard } from '../auth/sign-in-guard.js';

export interface CommandObserver {
  begin(command: string): void;
  end(command: string): void;
}

export interface ImapDeps {
  store: MailStoreClient;
  logger: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void; error(obj: object, msg?: string): void };
  /** LOGIN / AUTHENTICATE PLAIN allowed without TLS (true on loopback listeners). */
  allowPlaintextAuth: boolean;
  /** The connection is TLS. */
  secure: boolean;
  limits: { maxLineBytes: number; maxLiteralBytes: number; maxMessageBytes: number };
  /** Wait before answering a failed login. */
  authFailureDelayMs: number;
  /** Called around each command, e.g. to count store calls per command. */
  observer?: CommandObserver;
  /** The process's mailbox cache: selected views learn other sessions' changes through it (hints, safety poll). */
  mailboxes?: MailboxCache;
  /** The process's IDLE keepalive ticker; IDLE is offered only with both this and `mailboxes`. */
  keepalive?: KeepaliveTicker;
  /** The process's NOTIFY hub (session/notify-hub.ts): status and mailbox-list reads for unselected mailboxes. */
  notifyHub?: NotifyHub;
  /** The process's TLS context: STARTTLS (RFC 9051 §6.2.1) is offered on connections that are not yet secure. */
  tls?: SecureContext;
  /** AUTHENTICATE OAUTHBEARER is offered: the store verifies bearer tokens (auth.oauth). */
  oauth?: boolean;
  /** Failed logins per account across this process's connections (src/auth/login-throttle.ts); unset: none. */
  loginThrottle?: LoginThrottle;
  /** Failed authentications after which the connection says BYE and closes. Default 5. */
  maxAuthFailures?: number;
  /** Inactivity autologout before authentication, in ms. Default 60 s. */
  loginTimeoutMs?: number;
  /** Inactivity autologout once authenticated, in ms; RFC 9051 §5.4: at least 30 minutes. Default 30 min. */
  idleTimeoutMs?: number;
  /** The clock that sweeps for inactive connections (session/autologout.ts); default: the process's one. */
  autologout?: AutologoutClock;
  /** This connection's failed logins per address and sessions per user (src/auth/sign-in-guard.ts); unset: none. */
  signInGuard?: SignInGuard;
  /**
   * This connection's command rate: each command waits for a token (delayed, never dropped); unset: no limit.
   * `tryTake`, when present, takes a token synchronously if one is there: the common case costs no promise.
   */
  commandRate?: { take(): Promise<void>; tryTake?(): boolean };
}

/** IDLE works (and is advertised) only when changes reach idling sessions without their asking. */
export function idleAvailable(deps: ImapDeps): boolean {
  return deps.mailboxes !== undefined && deps.keepalive !== undefined;
}

/** NOTIFY (RFC 5465) needs what IDLE needs (changes pushed without asking) and the hub for unselected mailboxes. */
export function notifyAvailable(deps: ImapDeps): boolean {
  return idleAvailable(deps) && deps.notifyHub !== undefined;
}

/**
 * The greeting with its capability list (RFC 3501 §7.1 CAPABILITY response code), by the few settings it depends
 * on: a listener's connections all get the same text, built once rather than per connection.
 */
const greetings = new Map<string, string>();

function greeting(deps: ImapDeps, startTls: boolean): string {
  const context = {
    authenticated: false,
    plaintextAuthAllowed: deps.secure || deps.allowPlaintextAuth,
    idle: idleAvailable(deps),
    notify: notifyAvailable(deps),
    startTls,
    appendLimit: deps.limits.maxMessageBytes,
    oauth: deps.oauth === true,
  };
  const key = `${+context.plaintextAuthAllowed}${+context.idle}${+context.notify}${+startTls}${+context.oauth} ${context.appendLimit}`;
  let text = greetings.get(key);
  if (text === undefined) {
    text = statusResponse(null, 'OK', 'Stratus ready', { code: 'CAPABILITY', capabilities: capabilities(context) });
    greetings.set(key, text);
  }
  return text;
}

/** How long a shutdown waits for the command in progress (e.g. a slow APPEND upload) before cutting it off. */
const SHUTDOWN_GRACE_MS = 10_000;

export class ImapConnection implements Inactive {
  // reader, out, ctx and socket are replaced once by STARTTLS (startTls below); deps is this connection's own copy.
  private reader: CommandReader;
  private out: Output;
  /**
   * Corks the stream `out` writes to (the socket, its TLS socket or a DeflateChannel) while a command runs, so its
   * responses leave in one socket write (write-coalescing.ts).
   */
  private coalescer: WriteCoalescer;
  private readonly state = new SessionState();
  private ctx: CommandContext;
  private readonly deps: ImapDeps;
  private tlsRequested = false;
  /** COMPRESS (RFC 4978): asked for by the command in progress / active since its OK. */
  private compressRequested = false;
  private compressed = false;
  /**
   * Inactivity autologout (RFC 9051 §5.4): `activeAt` moves whenever bytes move either way and after each command;
   * the process's AutologoutClock compares it with `timeoutMs` (no timer of the connection's own).
   */
  activeAt = performance.now();
  timeoutMs = 0;
  private stopping: string | null = null;
  /** Set while the loop waits for the client's next command: ends that wait (shutdown). */
  private wakeForShutdown: ((event: { kind: 'shutdown' }) => void) | null = null;
  private finished: Promise<void> = Promise.resolve();

  constructor(
    private socket: Socket,
    deps: ImapDeps,
  ) {
    this.deps = { ...deps };
    this.reader = this.newReader(socket);
    this.out = new Output(socket);
    this.coalescer = new WriteCoalescer(socket);
    this.ctx = this.newContext();
  }

  private newReader(socket: Duplex): CommandReader {
    const deps = this.deps;
    return new CommandReader({
      maxLineLength: deps.limits.maxLineBytes,
      maxLiteralSize: deps.limits.maxLiteralBytes,
      maxAppendSize: deps.limits.maxMessageBytes,
      flow: socket, // its pause() and resume()
    });
  }

  private newContext(): CommandContext {
    return {
      deps: this.deps,
      out: this.out,
      state: this.state,
      reader: this.reader,
      ...(this.deps.tls && !this.deps.secure ? { startTls: () => void (this.tlsRequested = true) } : {}),
      ...(this.compressed ? {} : { startCompression: () => void (this.compressRequested = true) }),
    };
  }

  private readonly onData = (chunk: Buffer): void => {
    this.activeAt = performance.now();
    this.reader.push(chunk);
  };

  private readonly onEnd = (): void => this.reader.end();

  /** A slow client draining a long answer (a big FETCH) is active too. */
  private readonly onDrain = (): void => void (this.activeAt = performance.now());

  /** Restarts the inactivity count with the current state's limit: short before login, ≥ 30 min after. */
  private armIdleTimer(): void {
    this.activeAt = performance.now();
    // IDLE counts as inactivity: clients re-issue it within 29 minutes (RFC 2177 §3).
    this.timeoutMs = this.state.phase === 'notAuthenticated' ? (this.deps.loginTimeoutMs ?? 60_000) : (this.deps.idleTimeoutMs ?? 30 * 60_000);
    (this.deps.autologout ?? processAutologout).watch(this);
  }

  /** The AutologoutClock found the connection quiet for `timeoutMs`. */
  expire(): void {
    void this.shutdown('Autologout; idle for too long');
  }

  start(): void {
    const socket = this.socket;
    socket.setNoDelay(true);
    socket.on('data', this.onData);
    socket.on('drain', this.onDrain);
    socket.on('end', this.onEnd);
    socket.on('close', this.onEnd);
    socket.on('error', (err) => {
      this.deps.logger.info({ err: err.message }, 'imap socket error');
      this.reader.end();
    });
    this.armIdleTimer();
    this.finished = this.run().catch((err: unknown) => {
      this.deps.logger.error({ err }, 'imap connection failed');
      socket.destroy();
    });
  }

  /** Says BYE and closes once the command in progress has finished (it is never cut half-way unless it stalls). */
  async shutdown(reason: string): Promise<void> {
    if (this.stopping === null) this.stopping = reason;
    this.wakeForShutdown?.({ kind: 'shutdown' });
    this.state.interruptIdle?.();
    const cutoff = setTimeout(() => this.socket.destroy(), SHUTDOWN_GRACE_MS);
    cutoff.unref();
    await this.finished;
    clearTimeout(cutoff);
  }

  private async run(): Promise<void> {
    try {
      await this.serve();
    } finally {
      this.state.deselect(); // stop the mailbox cache's deliveries to this session
      this.state.notify?.stop(); // and the NOTIFY hub's
      (this.deps.autologout ?? processAutologout).forget(this);
    }
  }

  private async serve(): Promise<void> {
    await this.out.send(greeting(this.deps, this.ctx.startTls !== undefined));
    for (;;) {
      if (this.stopping !== null) {
        await this.out.untaggedStatus('BYE', this.stopping);
        break;
      }
      // Not a race with a long-lived shutdown promise: each race would leave a reaction on it for the session's life.
      const event = await new Promise<ReaderEvent | { kind: 'shutdown' }>((resolve) => {
        this.wakeForShutdown = resolve;
        this.reader.next().then(resolve, () => resolve({ kind: 'end' }));
      });
      this.wakeForShutdown = null;
      if (event.kind === 'shutdown') continue;
      if (event.kind === 'end') break;
      if (event.kind === 'continue') await this.out.continuation(event.text);
      else if (event.kind === 'error') await this.parseError(event);
      else if (event.kind === 'line') await this.out.untaggedStatus('BAD', 'Unexpected continuation data');
      else await this.execute(event.command);
      if (this.state.phase === 'logout' || this.out.isClosed) break;
    }
    await this.out.end();
  }

  private async parseError(event: Extract<ReaderEvent, { kind: 'error' }>): Promise<void> {
    if (event.tag === null) await this.out.untaggedStatus('BAD', event.text, event.code);
    else await this.out.tagged(event.tag, event.status, event.text, event.code);
  }

  private async execute(command: Command): Promise<void> {
    const name = command.name === 'UNKNOWN' ? command.verb : command.name;
    this.deps.observer?.begin(name);
    const rate = this.deps.commandRate;
    // The token is usually there: no promise, no timer (issue #8); only a command over the rate waits.
    if (rate !== undefined && !(rate.tryTake !== undefined && rate.tryTake())) await rate.take();
    const coalescer = this.coalescer;
    coalescer.begin();
    try {
      let answer: { status: 'OK' | 'NO' | 'BAD'; text: string; code: Parameters<Output['tagged']>[3] };
      try {
        // NOTIFY (session/notify-session.ts) holds its unsolicited responses while a command runs.
        this.state.commandRunning = true;
        const completion = await dispatch(command, this.ctx);
        answer = { status: 'OK', text: completion.text, code: completion.code };
        this.state.notify?.ownCommand(command);
      } catch (err) {
        const failure = failureResponse(err);
        if (failure.bug) this.deps.logger.error({ err, command: name }, 'imap command failed');
        answer = { status: failure.status, text: failure.text, code: failure.code ?? undefined };
        if (failure.fatal) this.stopping = 'Session expired';
      }
      await this.flushView(allowsExpunge(command), command.name === 'APPEND' || command.name === 'COPY' || command.name === 'MOVE');
      await this.out.tagged(command.tag, answer.status, answer.text, answer.code);
      coalescer.flush(); // before STARTTLS / COMPRESS take the socket over: their OK goes out as plain bytes
      if (this.tlsRequested) await this.startTls();
      if (this.compressRequested) this.startCompression();
      // Too many failed logins on one connection: answer, then say BYE and close (issue 3 item 6).
      if (this.state.phase === 'notAuthenticated' && this.state.authFailures >= (this.deps.maxAuthFailures ?? 5)) {
        this.stopping ??= 'Too many authentication failures';
      }
    } catch (err) {
      // Writing failed (the client went away, or a body stream broke mid-literal): the connection is over.
      this.deps.logger.info({ err: err instanceof Error ? err.message : String(err), command: name }, 'imap response not delivered');
      this.socket.destroy();
    } finally {
      coalescer.flush();
      this.state.commandRunning = false;
      this.state.notify?.resume(this.ctx);
      this.armIdleTimer();
      this.deps.observer?.end(name);
    }
  }

  /**
   * STARTTLS after its tagged OK: the TLS handshake takes over the socket; a new reader and output serve the rest of
   * the session, so any plaintext the client pipelined behind STARTTLS is dropped, never executed (RFC 9051 §6.2.1).
   */
  private async startTls(): Promise<void> {
    this.tlsRequested = false;
    const context = this.deps.tls;
    if (!context) return;
    const raw = this.socket;
    raw.off('data', this.onData);
    this.reader.end();
    const secure = await upgradeToTls(raw, context);
    if (!secure) {
      raw.destroy();
      return;
    }
    this.socket = secure;
    this.deps.secure = true;
    this.reader = this.newReader(secure);
    this.out = new Output(secure);
    this.coalescer = new WriteCoalescer(secure);
    this.ctx = this.newContext();
    secure.on('data', this.onData);
    secure.on('drain', this.onDrain);
    secure.on('end', this.onEnd);
    secure.on('close', this.onEnd);
    secure.on('error', (err) => {
      this.deps.logger.info({ err: err.message }, 'imap tls socket error');
      this.reader.end();
    });
  }

  /**
   * COMPRESS DEFLATE after its tagged OK (RFC 4978 §3: compression starts right after that CRLF, both ways): the
   * socket's bytes now pass through a DeflateChannel, read by a new reader and written by a new output.
   */
  private startCompression(): void {
    this.compressRequested = false;
    this.compressed = true;
    this.socket.off('data', this.onData);
    this.reader.end();
    const channel = new DeflateChannel(this.socket);
    channel.on('error', (err) => {
      this.deps.logger.info({ err: err.message }, 'imap compression error');
      this.reader.end();
    });
    channel.on('end', this.onEnd);
    channel.on('close', this.onEnd);
    this.reader = this.newReader(channel);
    this.out = new Output(channel);
    this.coalescer = new WriteCoalescer(channel);
    this.ctx = this.newContext();
    channel.on('data', this.onData);
  }

  /** Untagged updates the selected view has queued (RFC 3501 §7.4.1 order: EXPUNGE, then EXISTS/RECENT, FETCH). */
  private async flushView(allowExpunge: boolean, ownWrite = false): Promise<void> {
    const view = this.state.view;
    if (!view) return;
    // Awaited only when there is something to claim: most commands have nothing new to announce (issue #8).
    if (view.claimsRecent && view.pendingUidNext > view.recentClaimedTo) await claimRecent(this.ctx, view);
    const before = view.count > 0 ? view.uidAt(view.count - 1) : 0;
    for (const update of view.flush(allowExpunge)) await this.out.send(updateResponse(update));
    // NOTIFY MessageNew's FETCH attributes for what arrived from elsewhere (RFC 5465 §5.2).
    const notify = this.state.notify;
    if (notify) await notify.afterFlush(this.ctx, view, before, ownWrite);
  }
}
