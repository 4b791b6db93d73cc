// ENABLE (RFC 5161): turns on the listed extensions that this server can enable AND currently advertises; the
// answer `* ENABLED` names only those newly enabled by this command (§3.1). Unknown names are ignored, not errors.
import type { EnableCommand } from '../command.js';
import type { Handler } from '../session/context.js';
import { done } from '../session/context.js';
import { enabledData } from '../encoder.js';
import { currentCapabilities } from './capability.js';

/** Extensions whose behaviour depends on ENABLE (RFC 9051 IMAP4rev2, RFC 7162, RFC 6855, RFC 9586); each only if advertised. */
const ENABLEABLE = ['IMAP4REV2', 'CONDSTORE', 'QRESYNC', 'UTF8=ACCEPT', 'UIDONLY'];

export const enable: Handler<EnableCommand> = async (command, ctx) => {
  const advertised = new Map(currentCapabilities(ctx).map((c) => [c.toUpperCase(), c]));
  const newly: string[] = [];
  for (const requested of command.capabilities) {
    const name = requested.toUpperCase();
    const spelled = advertised.get(name);
    if (!ENABLEABLE.includes(name) || spelled === undefined || ctx.state.enabled.has(spelled)) continue;
    // RFC 7162 §3.2.3: QRESYNC implies CONDSTORE.
    if (name === 'QRESYNC' && advertised.has('CONDSTORE')) ctx.state.enabled.add(advertised.get('CONDSTORE')!);
    ctx.state.enabled.add(spelled);
    newly.push(spelled);
  }
  await ctx.out.send(enabledData(newly));
  return done('ENABLE completed');
};
