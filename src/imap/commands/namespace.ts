// NAMESPACE (RFC 2342): every mailbox is in the one personal namespace, prefix "" with delimiter "/"; there are no
// other users' or shared namespaces.
import type { NamespaceCommand } from '../command.js';
import type { Handler } from '../session/context.js';
import { done } from '../session/context.js';
import { namespaceData } from '../encoder.js';
import { DELIMITER } from '../session/mailbox-names.js';

export const namespace: Handler<NamespaceCommand> = async (_command, ctx) => {
  await ctx.out.send(namespaceData([{ prefix: '', delimiter: DELIMITER }], null, null));
  return done('NAMESPACE completed');
};
