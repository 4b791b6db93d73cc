// SETQUOTA (RFC 9208 §4.1.3): tenant administrators only (the store answers NOPERM to anyone else). The list
// replaces the root's limits; STORAGE is in units of 1024 octets. Unknown resources cannot be set (NO, §4.1.3).
import type { SetQuotaCommand } from '../command.js';
import type { Handler } from '../session/context.js';
import { done } from '../session/context.js';
import { no } from '../response-codes.js';
import { quotaData } from './quota-wire.js';

export const setquota: Handler<SetQuotaCommand> = async (command, ctx) => {
  const limits: { storageKiB?: number; messages?: number; mailboxes?: number } = {};
  for (const [resource, limit] of command.limits) {
    if (resource === 'STORAGE') limits.storageKiB = limit;
    else if (resource === 'MESSAGE') limits.messages = limit;
    else if (resource === 'MAILBOX') limits.mailboxes = limit;
    else throw no('CANNOT', `Resource ${resource} is not supported`);
  }
  const root = await ctx.deps.store.call('quota.set', { token: ctx.state.token, root: command.root, limits });
  const data = quotaData(root);
  if (data !== null) await ctx.out.send(data);
  return done('SETQUOTA completed');
};
