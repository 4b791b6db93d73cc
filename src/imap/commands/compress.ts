// COMPRESS DEFLATE (RFC 4978): the OK goes out uncompressed, then the connection (connection.ts startCompression)
// runs both directions through DEFLATE. A second COMPRESS gets NO [COMPRESSIONACTIVE], as Dovecot and Cyrus answer:
// §3 says a server that "knows that the same mechanism is active already" answers NO with that code.
import type { CompressCommand } from '../command.js';
import type { Handler } from '../session/context.js';
import { done } from '../session/context.js';
import { bad, no } from '../response-codes.js';

export const compress: Handler<CompressCommand> = async (command, ctx) => {
  if (command.mechanism !== 'DEFLATE') throw bad(`Unknown compression mechanism ${command.mechanism}`);
  if (!ctx.startCompression) throw no('COMPRESSIONACTIVE', 'DEFLATE active via COMPRESS');
  ctx.startCompression();
  return done('DEFLATE active');
};
