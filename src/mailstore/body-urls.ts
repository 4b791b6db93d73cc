// Presigned URLs for message bytes (DESIGN.md "The ports"): issued by the message function after the ownership
// check, so a frontend in AWS moves bodies over plain HTTPS and holds no S3 permission. Without `ctx.blobUrls`
// (embedded, tests without S3) nothing is issued and the client reads and writes the blob store directly.
import type { ResponseOf } from './api.js';
import type { Caller, StoreContext } from './context.js';
import { MailStoreError } from './errors.js';
import type { EmailId } from './ids.js';
import { blobKeys } from './keys.js';

/** Adds an upload URL for exactly `size` bytes at the key prepareAppend chose (under the caller's own prefix). */
export async function withUploadUrl(
  ctx: StoreContext,
  prepared: ResponseOf<'message.prepareAppend'>,
  size: number,
): Promise<ResponseOf<'message.prepareAppend'>> {
  if (!ctx.blobUrls) return prepared;
  return { ...prepared, uploadUrl: await ctx.blobUrls.putUrl(prepared.blobKey, size) };
}

/**
 * A GET URL for one message body. Mailboxes are owner-only (readMeta), so `mailbox.open` hands out the caller's own
 * prefix; any other prefix is refused. The key is rebuilt from the verified token, never taken from the request.
 */
export async function bodyUrl(
  ctx: StoreContext,
  caller: Caller,
  request: { blobPrefix: string; emailId: string },
): Promise<ResponseOf<'message.bodyUrl'>> {
  if (!ctx.blobUrls) throw new MailStoreError('CANNOT', 'This store does not issue body URLs');
  if (request.blobPrefix !== blobKeys.userPrefix(caller.tenantId, caller.userId) || !/^[A-Za-z0-9_-]+$/.test(request.emailId)) {
    throw new MailStoreError('NOPERM', 'Not your message');
  }
  return { url: await ctx.blobUrls.getUrl(blobKeys.message(caller.tenantId, caller.userId, request.emailId as EmailId)) };
}
