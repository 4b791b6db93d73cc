// Which command may run in which state (RFC 3501 §6: "any", "not authenticated", "authenticated", "selected"
// state commands), and the handler for each. A command in the wrong state is a BAD, as the RFC's command
// descriptions say ("BAD - command unknown or arguments invalid").
import type { Command } from '../command.js';
import type { CommandContext, Completion } from './context.js';
import type { Phase } from './state.js';
import { bad } from '../response-codes.js';
import { capability } from '../commands/capability.js';
import { noop } from '../commands/noop.js';
import { logout } from '../commands/logout.js';
import { login } from '../commands/login.js';
import { authenticate } from '../commands/authenticate.js';
import { list } from '../commands/list.js';
import { lsub } from '../commands/lsub.js';
import { create } from '../commands/create.js';
import { deleteMailbox } from '../commands/delete.js';
import { rename } from '../commands/rename.js';
import { subscribe } from '../commands/subscribe.js';
import { status } from '../commands/status.js';
import { select } from '../commands/select.js';
import { append } from '../commands/append.js';
import { check } from '../commands/check.js';
import { close } from '../commands/close.js';
import { unselect } from '../commands/unselect.js';
import { expunge } from '../commands/expunge.js';
import { fetch } from '../commands/fetch.js';
import { store } from '../commands/store.js';
import { search } from '../commands/search.js';
import { sort } from '../commands/sort.js';
import { thread } from '../commands/thread.js';
import { copy } from '../commands/copy.js';
import { getquota } from '../commands/getquota.js';
import { getquotaroot } from '../commands/getquotaroot.js';
import { setquota } from '../commands/setquota.js';
import { idle } from '../commands/idle.js';
import { compress } from '../commands/compress.js';
import { starttls } from '../commands/starttls.js';
import { enable } from '../commands/enable.js';
import { id } from '../commands/id.js';
import { namespace } from '../commands/namespace.js';
import { move } from '../commands/move.js';
import { setacl } from '../commands/setacl.js';
import { deleteacl } from '../commands/deleteacl.js';
import { getacl } from '../commands/getacl.js';
import { listrights } from '../commands/listrights.js';
import { myrights } from '../commands/myrights.js';
import { notify } from '../commands/notify.js';
import { requireUids } from './uidonly.js';
import { isUidOnly, removedInSession } from './revision.js';

const ANY: readonly Phase[] = ['notAuthenticated', 'authenticated', 'selected'];
const NOT_AUTHENTICATED: readonly Phase[] = ['notAuthenticated'];
const AUTHENTICATED: readonly Phase[] = ['authenticated', 'selected'];
const SELECTED: readonly Phase[] = ['selected'];
/** RFC 5161 §3.1: ENABLE only in the authenticated state. */
const AUTHENTICATED_ONLY: readonly Phase[] = ['authenticated'];

function allowedIn(command: Command): readonly Phase[] | null {
  switch (command.name) {
    case 'CAPABILITY':
    case 'NOOP':
    case 'LOGOUT':
    case 'ID':
      return ANY;
    case 'STARTTLS':
      return NOT_AUTHENTICATED;
    case 'ENABLE':
      return AUTHENTICATED_ONLY;
    case 'NAMESPACE':
      return AUTHENTICATED;
    case 'LOGIN':
    case 'AUTHENTICATE':
      return NOT_AUTHENTICATED;
    case 'SELECT':
    case 'EXAMINE':
    case 'CREATE':
    case 'DELETE':
    case 'RENAME':
    case 'SUBSCRIBE':
    case 'UNSUBSCRIBE':
    case 'LIST':
    case 'LSUB':
    case 'STATUS':
    case 'APPEND':
    case 'IDLE':
    case 'GETQUOTA':
    case 'GETQUOTAROOT':
    case 'SETQUOTA':
    case 'COMPRESS':
    case 'SETACL':
    case 'DELETEACL':
    case 'GETACL':
    case 'LISTRIGHTS':
    case 'MYRIGHTS':
    case 'NOTIFY':
      return AUTHENTICATED;
    case 'CHECK':
    case 'CLOSE':
    case 'UNSELECT':
    case 'EXPUNGE':
    case 'SEARCH':
    case 'SORT':
    case 'THREAD':
    case 'FETCH':
    case 'STORE':
    case 'COPY':
    case 'MOVE':
      return SELECTED;
    default:
      return null; // not implemented in this build
  }
}

/**
 * RFC 3501 §7.4.1: no EXPUNGE while answering FETCH, STORE or SEARCH — their UID forms excepted — since the client
 * may be relying on sequence numbers that would shift.
 */
export function allowsExpunge(command: Command): boolean {
  if (command.name === 'FETCH' || command.name === 'STORE' || command.name === 'SEARCH') return command.uid;
  // RFC 5256 §3: the same rule for SORT and THREAD.
  if (command.name === 'SORT' || command.name === 'THREAD') return command.uid;
  return true;
}

export async function dispatch(command: Command, ctx: CommandContext): Promise<Completion> {
  // A command the session's revision removed (RFC 9051 Appendix E: CHECK) is as unknown as one never implemented.
  const allowed = removedInSession(command.name, ctx.state.enabled) ? null : allowedIn(command);
  // An APPEND refused here has a literal the reader is holding for it; give it up so the reader moves on.
  if (command.name === 'APPEND' && (allowed === null || !allowed.includes(ctx.state.phase))) command.message.refuse();
  if (allowed === null) throw bad(`Command ${command.name === 'UNKNOWN' ? command.verb : command.name} is not supported`);
  if (!allowed.includes(ctx.state.phase)) {
    const why =
      ctx.state.phase === 'notAuthenticated' ? 'Log in first' : allowed === SELECTED ? 'No mailbox selected' : 'Already authenticated';
    throw bad(`${command.name}: ${why}`);
  }
  if (isUidOnly(ctx.state.enabled)) requireUids(command);
  switch (command.name) {
    case 'CAPABILITY':
      return capability(command, ctx);
    case 'NOOP':
      return noop(command, ctx);
    case 'LOGOUT':
      return logout(command, ctx);
    case 'LOGIN':
      return login(command, ctx);
    case 'AUTHENTICATE':
      return authenticate(command, ctx);
    case 'LIST':
      return list(command, ctx);
    case 'LSUB':
      return lsub(command, ctx);
    case 'CREATE':
      return create(command, ctx);
    case 'DELETE':
      return deleteMailbox(command, ctx);
    case 'RENAME':
      return rename(command, ctx);
    case 'SUBSCRIBE':
    case 'UNSUBSCRIBE':
      return subscribe(command, ctx);
    case 'STATUS':
      return status(command, ctx);
    case 'SELECT':
    case 'EXAMINE':
      return select(command, ctx);
    case 'APPEND':
      return append(command, ctx);
    case 'CHECK':
      return check(command, ctx);
    case 'CLOSE':
      return close(command, ctx);
    case 'UNSELECT':
      return unselect(command, ctx);
    case 'EXPUNGE':
      return expunge(command, ctx);
    case 'FETCH':
      return fetch(command, ctx);
    case 'STORE':
      return store(command, ctx);
    case 'SEARCH':
      return search(command, ctx);
    case 'SORT':
      return sort(command, ctx);
    case 'THREAD':
      return thread(command, ctx);
    case 'COPY':
      return copy(command, ctx);
    case 'MOVE':
      return move(command, ctx);
    case 'STARTTLS':
      return starttls(command, ctx);
    case 'ENABLE':
      return enable(command, ctx);
    case 'ID':
      return id(command, ctx);
    case 'NAMESPACE':
      return namespace(command, ctx);
    case 'IDLE':
      return idle(command, ctx);
    case 'COMPRESS':
      return compress(command, ctx);
    case 'GETQUOTA':
      return getquota(command, ctx);
    case 'GETQUOTAROOT':
      return getquotaroot(command, ctx);
    case 'SETQUOTA':
      return setquota(command, ctx);
    case 'SETACL':
      return setacl(command, ctx);
    case 'DELETEACL':
      return deleteacl(command, ctx);
    case 'GETACL':
      return getacl(command, ctx);
    case 'LISTRIGHTS':
      return listrights(command, ctx);
    case 'MYRIGHTS':
      return myrights(command, ctx);
    case 'NOTIFY':
      return notify(command, ctx);
    default:
      throw bad('Command is not supported');
  }
}
