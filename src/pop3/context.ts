// What a command runs with: the connection's dependencies, its output, its reader (SASL reads more lines) and the
// session state.
import type { SecureContext } from 'node:tls';
import type { MailStoreClient } from '../mailstore/client.js';
import type { LineReader } from './line-reader.js';
import type { Maildrop } from './maildrop.js';
import type { Output } from './output.js';
import type { Pop3Command } from './parser.js';
import type { SignInGuard } from '../auth/sign-in-guard.js';

export interface Pop3Deps {
  store: MailStoreClient;
  logger: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void; error(obj: object, msg?: string): void };
  /** USER/PASS and SASL PLAIN allowed without TLS (true on loopback listeners): the same rule as IMAP's. */
  allowPlaintextAuth: boolean;
  /** The connection is TLS. */
  secure: boolean;
  /** The process's TLS context: STLS (RFC 2595 §4) is offered on connections that are not yet secure. */
  tls?: SecureContext;
  limits: { maxLineBytes: number };
  /** Wait before answering a failed authentication. */
  authFailureDelayMs: number;
  /** Lifetime of the maildrop lease; it is refreshed at a third of it while the session lives. Default 60. */
  leaseSeconds?: number;
  /** RFC 1939 §3 autologout: at least 10 minutes of inactivity. Default 600 000. */
  idleTimeoutMs?: number;
  /** This connection's failed logins per address and sessions per user (src/auth/sign-in-guard.ts); unset: none. */
  signInGuard?: SignInGuard;
  /** This connection's command rate: each command waits for a token (delayed, never dropped); unset: no limit. */
  commandRate?: { take(): Promise<void> };
}

export type Phase = 'authorization' | 'transaction' | 'update';

export interface Transaction {
  token: string;
  login: string;
  maildrop: Maildrop;
}

export interface SessionState {
  phase: Phase;
  /** The name given by USER, waiting for PASS. */
  pendingUser: string | undefined;
  transaction: Transaction | undefined;
}

export interface CommandContext {
  deps: Pop3Deps;
  out: Output;
  reader: LineReader;
  state: SessionState;
  /** Takes the maildrop lease and keeps it alive until `release` (called by QUIT and by the connection's end). */
  lease: { keep(token: string): void; release(): Promise<void> };
  /** Present while STLS may be used: asks the connection to start TLS once the "+OK" has been written. */
  startTls?: () => void;
}

export interface CommandSpec {
  states: readonly Phase[];
  run(command: Pop3Command, ctx: CommandContext): Promise<void>;
}

export function transactionOf(ctx: CommandContext): Transaction {
  const t = ctx.state.transaction;
  if (!t) throw new Error('no transaction in the TRANSACTION state');
  return t;
}

export function plaintextAllowed(ctx: CommandContext): boolean {
  return ctx.deps.secure || ctx.deps.allowPlaintextAuth;
}
