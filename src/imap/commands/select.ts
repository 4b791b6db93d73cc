// SELECT / EXAMINE (RFC 3501 §6.3.1, §6.3.2): loads the view with one `mailbox.open` and reports the mailbox.
// A failed SELECT leaves no mailbox selected (§6.3.1).
import type { SelectCommand } from '../command.js';
import type { Handler } from '../session/context.js';
import { done } from '../session/context.js';
import { MailboxView } from '../session/mailbox-view.js';
import { storePath } from '../session/mailbox-names.js';
import { FLAG_SEEN } from '../../mailstore/flags.js';
import { existsData, flagsData, recentData } from '../encoder.js';
import { watchSelected } from '../session/watch.js';

export const select: Handler<SelectCommand> = async (command, ctx) => {
  ctx.state.deselect();
  const readOnly = command.name === 'EXAMINE';
  const opened = await ctx.deps.store.call('mailbox.open', { token: ctx.state.token, path: storePath(command.mailbox) });
  const view = new MailboxView(opened, readOnly);
  const out = ctx.out;
  await out.send(flagsData(view.flagList()));
  // \* : clients may create keywords (§7.1 PERMANENTFLAGS); nothing is permanent in a read-only mailbox.
  await out.untaggedStatus('OK', 'Flags permitted', { code: 'PERMANENTFLAGS', flags: readOnly ? [] : [...view.flagList(), '\\*'] });
  await out.send(existsData(view.count));
  await out.send(recentData(view.recentCount));
  for (let i = 0; i < view.count; i++) {
    if (!(view.bitsAt(i) & FLAG_SEEN)) {
      await out.untaggedStatus('OK', 'First unseen message', { code: 'UNSEEN', value: i + 1 });
      break;
    }
  }
  await out.untaggedStatus('OK', 'UIDs valid', { code: 'UIDVALIDITY', value: view.uidValidity });
  await out.untaggedStatus('OK', 'Predicted next UID', { code: 'UIDNEXT', value: view.uidNext });
  ctx.state.select(view);
  watchSelected(ctx, view);
  return done(`${command.name} completed`, readOnly ? 'READ-ONLY' : 'READ-WRITE');
};
