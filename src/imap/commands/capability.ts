// CAPABILITY (RFC 3501 §6.1.1): the list follows the connection's state (capabilities.ts).
import type { CapabilityCommand } from '../command.js';
import { capabilities } from '../capabilities.js';
import type { CommandContext, Handler } from '../session/context.js';
import { done } from '../session/context.js';
import { capabilityData } from '../encoder.js';
import { idleAvailable, notifyAvailable } from '../connection.js';

export function currentCapabilities(ctx: CommandContext): string[] {
  return capabilities({
    authenticated: ctx.state.phase !== 'notAuthenticated',
    plaintextAuthAllowed: ctx.deps.secure || ctx.deps.allowPlaintextAuth,
    idle: idleAvailable(ctx.deps),
    notify: notifyAvailable(ctx.deps),
    startTls: ctx.startTls !== undefined && !ctx.deps.secure,
    appendLimit: ctx.deps.limits.maxMessageBytes,
    oauth: ctx.deps.oauth === true,
  });
}

export const capability: Handler<CapabilityCommand> = async (_command, ctx) => {
  await ctx.out.send(capabilityData(currentCapabilities(ctx)));
  return done('CAPABILITY completed');
};
