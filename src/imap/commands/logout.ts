// LOGOUT (RFC 3501 §6.1.3): untagged BYE, then the tagged OK; the connection closes after the OK.
import type { LogoutCommand } from '../command.js';
import type { Handler } from '../session/context.js';
import { done } from '../session/context.js';

export const logout: Handler<LogoutCommand> = async (_command, ctx) => {
  await ctx.out.untaggedStatus('BYE', 'Stratus logging out');
  ctx.state.deselect();
  ctx.state.phase = 'logout';
  return done('LOGOUT completed');
};
