// What a command handler is given. Handlers read the parsed command, call the MailStore, write untagged data
// through `out`, and return the tagged OK's code and text; failures are thrown and mapped in response-codes.ts.
import type { CommandReader } from '../parser/command-reader.js';
import type { ImapDeps } from '../connection.js';
import type { Output } from './output.js';
import type { SessionState } from './state.js';
import type { MailboxView } from './mailbox-view.js';
import { bad } from '../response-codes.js';
import type { ResponseCodeValue } from '../encoder.js';

export interface CommandContext {
  readonly deps: ImapDeps;
  readonly out: Output;
  readonly state: SessionState;
  readonly reader: CommandReader;
  /** Present when STARTTLS may run on this connection: asks for the TLS handshake right after the tagged OK. */
  readonly startTls?: () => void;
  /** Present until COMPRESS has run on this connection: turns DEFLATE on right after the tagged OK (RFC 4978). */
  readonly startCompression?: () => void;
}

/** The tagged OK: `<tag> OK [code] text`. */
export interface Completion {
  code?: ResponseCodeValue;
  text: string;
}

export const done = (text: string, code?: ResponseCodeValue): Completion => (code === undefined ? { text } : { code, text });

/** The selected mailbox; the dispatcher only routes selected-state commands here when there is one. */
export function selectedView(ctx: CommandContext): MailboxView {
  const view = ctx.state.view;
  if (!view) throw bad('No mailbox selected');
  return view;
}

export type Handler<C> = (command: C, ctx: CommandContext) => Promise<Completion>;
