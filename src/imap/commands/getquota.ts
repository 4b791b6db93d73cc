// GETQUOTA (RFC 9208 §4.1.1). Each user has one quota root, "" (a tenant admin may also name a user of the tenant
// by login); the store decides what the caller may see.
import type { GetQuotaCommand } from '../command.js';
import type { Handler } from '../session/context.js';
import { done } from '../session/context.js';
import { no } from '../response-codes.js';
import { quotaData } from './quota-wire.js';

export const getquota: Handler<GetQuotaCommand> = async (command, ctx) => {
  const root = await ctx.deps.store.call('quota.get', { token: ctx.state.token, root: command.root });
  const data = quotaData(root);
  if (data === null) throw no('NONEXISTENT', 'No limits are set for this quota root');
  await ctx.out.send(data);
  return done('GETQUOTA completed');
};
