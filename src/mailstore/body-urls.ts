// Presigned URLs for message bytes (DESIGN.md "The ports"): issued by the message function after the ownership
// check, so a frontend in AWS moves bodies over plain HTTPS and holds no S3 permission. Without `ctx.blobUrls`
// (embedded, tests without S3) nothing is issued and the client reads and writes the blob store directly.
import type { ResponseOf } from './api.js';
import type { Caller, StoreContext } from './context.js';
import { MailStoreError } from './errors.js';
import type { EmailId, UserId } from './ids.js';
import { readableOwners } from './acl-list.js';
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
 * A GET URL for one message body: `mailbox.open` hands out the mailbox owner's prefix, which must be the caller's
 * own or a sharing owner's; any other prefix is refused. The key is rebuilt from the verified token, never taken from the request.
 */
export async function bodyUrl(
  ctx: StoreContext,
  caller: Caller,
  request: { blobPrefix: string; emailId: string },
): Promise<ResponseOf<'message.bodyUrl'>> {
  if (!ctx.blobUrls) throw new MailStoreError('CANNOT', 'This store does not issue body URLs');
  if (!/^[A-Za-z0-9_-]+$/.test(request.emailId)) throw new MailStoreError('NOPERM', 'Not your message');
  // The caller's own prefix, or that of an owner who shared a mailbox with it with "r" (RFC 4314, acl-list.ts).
  let owner: UserId = caller.userId;
  if (request.blobPrefix !== blobKeys.userPrefix(caller.tenantId, caller.userId)) {
    const shared = [...(await readableOwners(ctx, caller))].find((o) => request.blobPrefix === blobKeys.userPrefix(caller.tenantId, o as UserId));
    if (shared === undefined) throw new MailStoreError('NOPERM', 'Not your message');
    owner = shared as UserId;
  }
  return { url: await ctx.blobUrls.getUrl(blobKeys.message(caller.tenantId, owner, request.emailId as EmailId)) };
}
