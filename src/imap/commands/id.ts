// ID (RFC 2971): the client's identification is only logged; the server answers with its name and version.
import type { IdCommand } from '../command.js';
import type { Handler } from '../session/context.js';
import { done } from '../session/context.js';
import { bad } from '../response-codes.js';
import { idData } from '../encoder.js';
import { createRequire } from 'node:module';

const SERVER_VERSION = serverVersion();

/**
 * The version in package.json: one folder up from the frontend bundle the image runs (dist/stratus.mjs, Dockerfile),
 * three up from this source file. The bundle's own path is tried first: from the source tree it names no file.
 */
function serverVersion(): string {
  const load = createRequire(import.meta.url);
  for (const path of ['../package.json', '../../../package.json']) {
    try {
      return String((load(path) as { version?: unknown }).version ?? 'unknown');
    } catch {
      // not in this layout
    }
  }
  return 'unknown';
}

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
