// The IMAP connection state machine (RFC 3501 §3): not authenticated → authenticated ⇄ selected → logout.
// The session token is what proves to the MailStore that this connection authenticated (DESIGN.md).
import type { MailboxView } from './mailbox-view.js';
import type { MetaCache } from './meta-cache.js';
import type { NotifySession } from './notify-session.js';

export type Phase = 'notAuthenticated' | 'authenticated' | 'selected' | 'logout';

export interface Login {
  token: string;
  login: string;
  meta: MetaCache;
  /** The store's user id (every sign-in answer has it): the key of the user-level hint (mailstore/user-hint.ts). */
  userId?: string;
  /** The user's tenant: the key of the tenant-level hint (a grant to `anyone`, mailstore/user-hint.ts). */
  tenantId?: string;
}

export class SessionState {
  phase: Phase = 'notAuthenticated';
  user: Login | null = null;
  view: MailboxView | null = null;
  /** Stops the mailbox cache's deliveries to the selected view (watch.ts). */
  unwatch: (() => void) | null = null;
  /** Set while in IDLE: the view has queued changes to push now. */
  onViewChange: (() => void) | null = null;
  /** Set while in IDLE: ends it early (server shutdown). */
  interruptIdle: (() => void) | null = null;
  /** Failed authentications on this connection (sign-in.ts); past ImapDeps.maxAuthFailures the connection ends. */
  authFailures = 0;
  /** RFC 5465 NOTIFY in force (commands/notify.ts); null: NOTIFY NONE or never sent. */
  notify: NotifySession | null = null;
  /** A command is being executed (connection.ts); NOTIFY holds unsolicited responses until it ends, except in IDLE. */
  commandRunning = false;
  /** Extensions this session enabled (RFC 5161 ENABLE, or implicitly: RFC 7162 §3.1 CONDSTORE enabling commands). */
  readonly enabled = new Set<string>();

  get token(): string {
    if (!this.user) throw new Error('session has no token: command dispatched in the wrong state');
    return this.user.token;
  }

  signIn(user: Login): void {
    this.user = user;
    this.phase = 'authenticated';
  }

  select(view: MailboxView): void {
    this.view = view;
    this.phase = 'selected';
  }

  deselect(): void {
    this.unwatch?.();
    this.unwatch = null;
    this.view = null;
    if (this.phase === 'selected') this.phase = 'authenticated';
  }
}
