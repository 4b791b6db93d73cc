// CREATE (RFC 3501 §6.3.3; RFC 6154 §3 CREATE-SPECIAL-USE's USE parameter is checked and passed on). A trailing
// delimiter only declares the intent to hold children; the name is created without it.
import type { CreateCommand } from '../command.js';
import type { Handler } from '../session/context.js';
import { done } from '../session/context.js';
import { DELIMITER, storePath } from '../session/mailbox-names.js';
import { utf8Names } from '../session/revision.js';
import { no } from '../response-codes.js';
import { mailboxObjectId } from '../wire/object-id.js';

export const create: Handler<CreateCommand> = async (command, ctx) => {
  let path = storePath(command.mailbox, utf8Names(ctx.state.enabled));
  while (path.endsWith(DELIMITER)) path = path.slice(0, -1);
  if (path === '') throw no('CANNOT', 'Invalid mailbox name');
  if (path === 'INBOX') throw no('ALREADYEXISTS', 'INBOX always exists');
  const specialUse = specialUseOf(command.specialUse);
  const created = await ctx.deps.store.call('mailbox.create', { token: ctx.state.token, path, ...(specialUse ? { specialUse } : {}) });
  // RFC 8474 §4.1: "MUST include the MAILBOXID response code in the tagged OK response to all successful CREATE".
  return done('CREATE completed', { code: 'MAILBOXID', id: mailboxObjectId(created.mailboxId) });
};

/** RFC 6154 §2 special-use attributes, as spelled on the wire. */
const SPECIAL_USES = ['\\All', '\\Archive', '\\Drafts', '\\Flagged', '\\Junk', '\\Sent', '\\Trash'];

/**
 * CREATE-SPECIAL-USE (RFC 6154 §3): a mailbox holds at most one special use here; an unknown attribute, or more than
 * one, creates nothing and is NO [USEATTR].
 */
function specialUseOf(requested: readonly string[]): string | undefined {
  const uses = [...new Set(requested.map((u) => SPECIAL_USES.find((s) => s.toLowerCase() === u.toLowerCase()) ?? u))];
  if (uses.length === 0) return undefined;
  if (uses.length > 1) throw no('USEATTR', 'A mailbox can have only one special use');
  if (!SPECIAL_USES.includes(uses[0]!)) throw no('USEATTR', `Unsupported special use ${uses[0]!}`);
  return uses[0];
}
