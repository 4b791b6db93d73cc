// A minimal raw IMAP4rev1 client (RFC 3501) for the load generator: one command in flight at a time, tagged
// completion, untagged responses collected per command, literals both ways. Every command must end in a tagged OK;
// anything else (NO, BAD, BYE, a timeout, a closed socket) rejects with ImapCommandError or ImapConnectionError.
// It deliberately imports nothing from the server.
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { ImapFramer } from './imap-framer.js';
import { fetchItems, parseResponse } from './imap-parser.js';
import type { ImapResponse, ImapValue } from './imap-parser.js';

export class ImapConnectionError extends Error {
  override readonly name = 'ImapConnectionError';
}

export class ImapCommandError extends Error {
  override readonly name = 'ImapCommandError';
  constructor(
    readonly command: string,
    readonly status: string,
    readonly text: string,
    /** The response code, e.g. "UNAVAILABLE" (RFC 5530), when the answer had one. */
    readonly code?: string,
  ) {
    super(`${command} failed: ${status} ${code ? `[${code}] ` : ''}${text}`);
  }
}

export interface CommandResult {
  /** Untagged responses received while the command ran. */
  untagged: ImapResponse[];
  /** The tagged completion (always OK: anything else rejects). */
  completion: Extract<ImapResponse, { kind: 'tagged' }>;
}

export interface SelectResult {
  exists: number;
  uidNext: number | undefined;
  uidValidity: number | undefined;
}

export interface FetchedMessage {
  seq: number;
  items: Map<string, ImapValue>;
}

/** A piece of a command: text is sent as is, a Buffer as a literal (RFC 3501 §4.3). */
export type CommandPart = string | Buffer;

export interface ImapClientOptions {
  host: string;
  port: number;
  /** Upper bound for each command; the run never hangs on a silent server. */
  timeoutMs?: number;
  /** Upper bound for connecting and the greeting; `timeoutMs` unless given. */
  greetingTimeoutMs?: number;
}

interface Pending {
  tag: string;
  name: string;
  untagged: ImapResponse[];
  onContinuation: (() => void) | undefined;
  resolve: (result: CommandResult) => void;
  reject: (error: Error) => void;
}

export class ImapClient {
  /** Capabilities from the latest CAPABILITY response or response code. */
  capabilities = new Set<string>();
  /** Messages in the selected mailbox as last announced by "* n EXISTS". */
  exists = 0;
  private nextTag = 1;
  private pending: Pending | undefined;
  private greeting: { resolve: (response: ImapResponse) => void; reject: (error: Error) => void } | undefined;
  private closedError: Error | undefined;
  private readonly framer: ImapFramer;

  private constructor(
    private readonly socket: Socket,
    private readonly timeoutMs: number,
  ) {
    this.framer = new ImapFramer((bytes) => this.onResponse(bytes));
    socket.on('data', (chunk: Buffer) => {
      try {
        this.framer.push(chunk);
      } catch (error) {
        this.fail(error instanceof Error ? error : new Error(String(error)));
      }
    });
    socket.on('error', (error) => this.fail(new ImapConnectionError(`socket error: ${error.message}`)));
    socket.on('close', () => this.fail(new ImapConnectionError('connection closed by server')));
  }

  /** Connects and waits for an OK greeting (RFC 3501 §7.1.1). */
  static async connect(options: ImapClientOptions): Promise<ImapClient> {
    const timeoutMs = options.timeoutMs ?? 30_000;
    const socket = connect({ host: options.host, port: options.port });
    socket.setNoDelay(true);
    const client = new ImapClient(socket, timeoutMs);
    // A refused connection, a reset or a close before the greeting all reject at once (through fail()).
    const greeting = await client.withTimeout(
      'greeting',
      new Promise<ImapResponse>((resolve, reject) => {
        client.greeting = { resolve, reject };
      }),
      options.greetingTimeoutMs ?? timeoutMs,
    );
    if (greeting.kind !== 'status' || greeting.status !== 'OK') {
      socket.destroy();
      throw new ImapConnectionError(`unexpected greeting: ${JSON.stringify(greeting)}`);
    }
    return client;
  }

  /** Sends one command and resolves with its untagged responses once the tagged OK arrives. */
  async command(parts: CommandPart[] | string, name?: string): Promise<CommandResult> {
    if (this.closedError) throw this.closedError;
    if (this.pending) throw new Error('ImapClient runs one command at a time');
    const list = typeof parts === 'string' ? [parts] : parts;
    const tag = `A${String(this.nextTag++).padStart(4, '0')}`;
    const commandName = name ?? String(list[0]).split(' ')[0] ?? 'COMMAND';
    const nonSync = this.capabilities.has('LITERAL+');

    const done = new Promise<CommandResult>((resolve, reject) => {
      this.pending = { tag, name: commandName, untagged: [], onContinuation: undefined, resolve, reject };
    });
    // Literals: with LITERAL+ (RFC 7888) "{n+}" goes out at once, otherwise wait for "+" before each literal.
    let text = `${tag} `;
    for (const part of list) {
      if (typeof part === 'string') {
        text += part;
        continue;
      }
      text += nonSync ? `{${part.length}+}\r\n` : `{${part.length}}\r\n`;
      if (!nonSync) {
        const go = new Promise<void>((resolve) => {
          if (this.pending) this.pending.onContinuation = resolve;
        });
        this.socket.write(text);
        text = '';
        await this.withTimeout(commandName, Promise.race([go, done.then(() => undefined)]));
        if (!this.pending) return done; // the server answered instead of asking for the literal
      } else {
        this.socket.write(text);
        text = '';
      }
      this.socket.write(part);
    }
    this.socket.write(`${text}\r\n`);
    return this.withTimeout(commandName, done);
  }

  async login(user: string, password: string): Promise<void> {
    const result = await this.command(`LOGIN ${quote(user)} ${quote(password)}`, 'LOGIN');
    this.noteCapabilities(result);
  }

  async capability(): Promise<void> {
    this.noteCapabilities(await this.command('CAPABILITY'));
  }

  /** APPEND with optional flags (RFC 3501 §6.3.11). */
  async append(mailbox: string, message: Buffer, flags: string[] = []): Promise<CommandResult> {
    const flagList = flags.length > 0 ? ` (${flags.join(' ')})` : '';
    return this.command([`APPEND ${quote(mailbox)}${flagList} `, message], 'APPEND');
  }

  async select(mailbox: string): Promise<SelectResult> {
    const result = await this.command(`SELECT ${quote(mailbox)}`, 'SELECT');
    let uidNext: number | undefined;
    let uidValidity: number | undefined;
    let sawExists = false;
    for (const response of result.untagged) {
      if (response.kind === 'numbered' && response.name === 'EXISTS') sawExists = true;
      if (response.kind === 'status' && response.resp.code === 'UIDNEXT') uidNext = Number(response.resp.codeArgs);
      if (response.kind === 'status' && response.resp.code === 'UIDVALIDITY') {
        uidValidity = Number(response.resp.codeArgs);
      }
    }
    // RFC 3501 §6.3.1: the server MUST send EXISTS in reply to SELECT.
    if (!sawExists) throw new ImapCommandError('SELECT', 'OK', 'no EXISTS response');
    return { exists: this.exists, uidNext, uidValidity };
  }

  /** FETCH (or UID FETCH with `uid`), returning the FETCH responses in arrival order. */
  async fetch(set: string, items: string, options: { uid?: boolean; name?: string } = {}): Promise<FetchedMessage[]> {
    const verb = options.uid ? 'UID FETCH' : 'FETCH';
    const result = await this.command(`${verb} ${set} ${items}`, options.name ?? 'FETCH');
    return fetchResponses(result);
  }

  async store(set: string, change: string, options: { name?: string } = {}): Promise<FetchedMessage[]> {
    return fetchResponses(await this.command(`STORE ${set} ${change}`, options.name ?? 'STORE'));
  }

  /** LIST (RFC 3501 §6.3.8): the mailbox names of the "* LIST" responses, in arrival order. */
  async list(reference: string, pattern: string): Promise<string[]> {
    const result = await this.command(`LIST ${quote(reference)} ${quote(pattern)}`, 'LIST');
    const names: string[] = [];
    for (const response of result.untagged) {
      if (response.kind !== 'data' || response.name !== 'LIST') continue;
      // mailbox-list = "(" [mbx-list-flags] ")" SP (DQUOTE QUOTED-CHAR DQUOTE / nil) SP mailbox
      const name = response.values[2];
      if (typeof name !== 'string' && !Buffer.isBuffer(name)) throw new ImapCommandError('LIST', 'OK', 'LIST response without a mailbox name');
      names.push(String(name));
    }
    return names;
  }

  /** STATUS (RFC 3501 §6.3.10): the attributes of the "* STATUS" response for `mailbox`, e.g. MESSAGES → 3. */
  async status(mailbox: string, attributes: string[]): Promise<Map<string, number>> {
    const result = await this.command(`STATUS ${quote(mailbox)} (${attributes.join(' ')})`, 'STATUS');
    for (const response of result.untagged) {
      if (response.kind !== 'data' || response.name !== 'STATUS') continue;
      const list = response.values[1];
      if (String(response.values[0]).toUpperCase() !== mailbox.toUpperCase() || !Array.isArray(list)) continue;
      const out = new Map<string, number>();
      for (let i = 0; i + 1 < list.length; i += 2) out.set(String(list[i]).toUpperCase(), Number(list[i + 1]));
      return out;
    }
    throw new ImapCommandError('STATUS', 'OK', `no STATUS response for ${mailbox}`);
  }

  /** SEARCH with the given criteria; returns the sequence numbers of "* SEARCH". */
  async search(criteria: CommandPart[] | string, options: { name?: string } = {}): Promise<number[]> {
    const parts = typeof criteria === 'string' ? [`SEARCH ${criteria}`] : ['SEARCH ', ...criteria];
    const result = await this.command(parts, options.name ?? 'SEARCH');
    const hits: number[] = [];
    let sawSearch = false;
    for (const response of result.untagged) {
      if (response.kind !== 'data' || response.name !== 'SEARCH') continue;
      sawSearch = true;
      for (const value of response.values) hits.push(Number(value));
    }
    if (!sawSearch) throw new ImapCommandError('SEARCH', 'OK', 'no SEARCH response');
    return hits;
  }

  /** LOGOUT: expects BYE then the tagged OK (RFC 3501 §6.1.3), then closes the socket. */
  async logout(): Promise<void> {
    const result = await this.command('LOGOUT', 'LOGOUT');
    if (!result.untagged.some((r) => r.kind === 'status' && r.status === 'BYE')) {
      throw new ImapCommandError('LOGOUT', 'OK', 'no BYE before the tagged OK');
    }
    this.close();
  }

  close(): void {
    this.closedError ??= new ImapConnectionError('client closed');
    this.socket.destroy();
  }

  private noteCapabilities(result: CommandResult): void {
    for (const response of [...result.untagged, result.completion]) {
      if (response.kind === 'data' && response.name === 'CAPABILITY') {
        this.capabilities = new Set(response.values.map((v) => String(v).toUpperCase()));
      }
      if ((response.kind === 'tagged' || response.kind === 'status') && response.resp.code === 'CAPABILITY') {
        this.capabilities = new Set(response.resp.codeArgs.toUpperCase().split(' '));
      }
    }
  }

  private onResponse(bytes: Buffer): void {
    const response = parseResponse(bytes);
    if (this.greeting) {
      const greet = this.greeting;
      this.greeting = undefined;
      if (response.kind === 'status' && response.resp.code === 'CAPABILITY') {
        this.capabilities = new Set(response.resp.codeArgs.toUpperCase().split(' '));
      }
      greet.resolve(response);
      return;
    }
    if (response.kind === 'numbered' && response.name === 'EXISTS') this.exists = response.number;
    if (response.kind === 'numbered' && response.name === 'EXPUNGE') this.exists = Math.max(0, this.exists - 1);
    const pending = this.pending;
    if (!pending) {
      // Unsolicited data between commands is allowed (RFC 3501 §7); a BYE there means the server is leaving.
      if (response.kind === 'status' && response.status === 'BYE') this.closedError = new ImapConnectionError('server said BYE');
      return;
    }
    switch (response.kind) {
      case 'continuation': {
        const go = pending.onContinuation;
        pending.onContinuation = undefined;
        if (go) go();
        else this.fail(new ImapConnectionError(`unexpected continuation during ${pending.name}`));
        return;
      }
      case 'tagged': {
        if (response.tag !== pending.tag) {
          this.fail(new ImapConnectionError(`tag ${response.tag} does not match ${pending.tag}`));
          return;
        }
        this.pending = undefined;
        if (response.status === 'OK') pending.resolve({ untagged: pending.untagged, completion: response });
        else pending.reject(new ImapCommandError(pending.name, response.status, response.resp.text, response.resp.code));
        return;
      }
      default:
        pending.untagged.push(response);
    }
  }

  private fail(error: Error): void {
    if (!this.closedError) this.closedError = error;
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(error);
    const greeting = this.greeting;
    this.greeting = undefined;
    greeting?.reject(error);
    this.socket.destroy();
  }

  private withTimeout<T>(what: string, promise: Promise<T>, timeoutMs = this.timeoutMs): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        const error = new ImapConnectionError(`${what}: no answer within ${timeoutMs} ms`);
        this.fail(error);
        reject(error);
      }, timeoutMs);
      promise.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }
}

function fetchResponses(result: CommandResult): FetchedMessage[] {
  return result.untagged
    .filter((r): r is Extract<ImapResponse, { kind: 'numbered' }> => r.kind === 'numbered' && r.name === 'FETCH')
    .map((r) => ({ seq: r.number, items: fetchItems(r.values) }));
}

/** A quoted string (RFC 3501 §4.3); callers send anything with CR, LF or 8-bit bytes as a literal instead. */
export function quote(text: string): string {
  const quotable = [...text].every((char) => {
    const code = char.charCodeAt(0);
    return code >= 0x20 && code < 0x7f; // TEXT-CHAR without CR, LF, NUL, other controls or 8-bit (RFC 3501 §9)
  });
  if (!quotable) throw new Error(`cannot quote ${JSON.stringify(text)}`);
  return `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}
