// ID (RFC 2971): the client's identification is only logged; the server answers with its name and version.
import type { IdCommand } from '../command.js';
import type { Handler } from '../session/context.js';
import { done } from '../session/context.js';
import { bad } from '../response-codes.js';
import { idData } from '../encoder.js';
import { createRequire } from 'node:module';

const SERVER_VERSION = String((createRequire(import.meta.url)('../../../package.json') as { version?: unknown }).version ?? 'unknown');

export const id: Handler<IdCommand> = async (command, ctx) => {
  const params = command.params ?? [];
  // §3.3: at most 30 pairs, field names ≤ 30 octets, values ≤ 1024 octets.
  if (params.length > 30 || params.some(([k, v]) => Buffer.byteLength(k) > 30 || (v !== null && Buffer.byteLength(v) > 1024))) {
    throw bad('ID parameters exceed RFC 2971 limits');
  }
  if (params.length > 0) ctx.deps.logger.info({ clientId: Object.fromEntries(params) }, 'client ID');
  await ctx.out.send(idData([
    ['name', 'Stratus'],
    ['version', SERVER_VERSION],
    ['vendor', 'Stratus'],
  ]));
  return done('ID completed');
};
