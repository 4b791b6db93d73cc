// NAMESPACE (RFC 2342): the personal namespace "" ; other users' mailboxes shared with the caller (RFC 4314) under
// "Other Users/<login>/"; the tenant's public mailboxes under "Shared/" (mailstore/acl-paths.ts), all with "/".
import type { NamespaceCommand } from '../command.js';
import type { Handler } from '../session/context.js';
import { done } from '../session/context.js';
import { namespaceData } from '../encoder.js';
import { DELIMITER } from '../session/mailbox-names.js';

export const namespace: Handler<NamespaceCommand> = async (_command, ctx) => {
  await ctx.out.send(
    namespaceData(
      [{ prefix: '', delimiter: DELIMITER }],
      [{ prefix: `Other Users${DELIMITER}`, delimiter: DELIMITER }],
      [{ prefix: `Shared${DELIMITER}`, delimiter: DELIMITER }],
    ),
  );
  return done('NAMESPACE completed');
};
