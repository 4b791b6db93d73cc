// The delivery operations of the MailStore API (deliver.*), for frontends that receive mail (LMTP). As with APPEND,
// bytes never pass through a function: the frontend asks `deliver.prepare` where to put the bytes, puts them there,
// then calls `deliver.message`, which reads them and delivers a copy per recipient under that recipient's owner
// prefix.
//
// Where: when the request names its first recipient (`stage`) and that address resolves, the answer is that
// recipient's final message key with a signed ticket (delivery-ticket.ts; with a presigned URL when the store issues
// them) and the agent writes that recipient's trace headers + the message there: `deliver.message` reads it once
// (one GET, no HEAD), checks the headers are the ones it would have written, and commits it as that recipient's copy
// — no second PUT. Other recipients get their own copy as before. Otherwise a staging key `in/<id>.eml`: the
// function reads it, stores every recipient's copy, and deletes it once no recipient needs a retry; a staged object
// left behind (a crashed frontend) is owned by no tenant and a lifecycle rule on `in/` removes it. A first copy whose
// delivery does not commit is the GC's (delivery-ticket.ts).
import { createHash } from 'node:crypto';
import type { ResponseOf } from './api.js';
import type { StoreContext } from './context.js';
import { agentOf } from './delivery-agent.js';
import { deliver, resolveRecipient, traceHeaders, type DeliveryTrace, type StagedCopy } from './delivery.js';
import { issueStageTicket, STAGE_TICKET_SECONDS, verifyStageTicket } from './delivery-ticket.js';
import { MailStoreError } from './errors.js';
import { newEmailId, newId, type EmailId, type TenantId, type UserId } from './ids.js';
import { blobKeys } from './keys.js';
import { readStaged } from './messages.js';

/** Only keys this function handed out: an agent cannot make delivery read some user's message blob. */
const STAGING_KEY = /^in\/[0-9A-Z]{26}\.eml$/;

export async function prepareDelivery(
  ctx: StoreContext,
  token: string,
  size: number,
  stage?: { recipient: string; headBytes: number },
): Promise<ResponseOf<'deliver.prepare'>> {
  agentOf(ctx, token);
  if (size > ctx.maxMessageBytes) throw new MailStoreError('LIMIT', `Message is larger than ${ctx.maxMessageBytes} bytes`);
  const target = stage ? await resolveRecipient(ctx, stage.recipient) : undefined;
  if (!stage || !target) return { stagingKey: blobKeys.staging(newId()) };
  const emailId = newEmailId();
  const key = blobKeys.message(target.tenantId, target.userId, emailId);
  const ticket = issueStageTicket(ctx.tokenKey, {
    key,
    emailId,
    tenantId: target.tenantId,
    userId: target.userId,
    login: target.login,
    recipient: stage.recipient,
    headBytes: stage.headBytes,
    expiresAt: Math.floor(Date.now() / 1000) + STAGE_TICKET_SECONDS,
  });
  // AWS: the frontend holds no S3 permission; a URL for exactly these bytes, as APPEND's (body-urls.ts).
  const uploadUrl = ctx.blobUrls ? await ctx.blobUrls.putUrl(key, stage.headBytes + size) : undefined;
  return { stagingKey: key, ticket, ...(uploadUrl !== undefined ? { uploadUrl } : {}) };
}

export async function resolveAddresses(ctx: StoreContext, token: string, addresses: string[]): Promise<ResponseOf<'deliver.resolve'>> {
  agentOf(ctx, token);
  const found = await Promise.all(addresses.map((a) => resolveRecipient(ctx, a)));
  return { known: found.map((r) => r !== undefined) };
}

export async function deliverStaged(
  ctx: StoreContext,
  input: {
    token: string;
    stagingKey: string;
    size: number;
    sender: string;
    recipients: string[];
    messageId?: string;
    trace: DeliveryTrace;
    receivedAt?: number;
    ticket?: string;
  },
): Promise<ResponseOf<'deliver.message'>> {
  agentOf(ctx, input.token);
  if (input.ticket !== undefined) return deliverFirstCopy(ctx, { ...input, ticket: input.ticket });
  if (!STAGING_KEY.test(input.stagingKey)) throw new MailStoreError('BADREQUEST', 'Not a staging key');
  const head = await ctx.blob.head(input.stagingKey);
  if (!head || head.size !== input.size) throw new MailStoreError('BADREQUEST', 'Staged message bytes are missing or incomplete');
  const chunks: Buffer[] = [];
  for await (const chunk of await ctx.blob.get(input.stagingKey)) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  // Without an id from the caller, the bytes themselves identify the message: an MTA's retry sends the same bytes.
  const messageId = input.messageId ?? `sha256:${createHash('sha256').update(raw).digest('hex')}`;
  const outcomes = await deliver(ctx, {
    raw,
    sender: input.sender,
    recipients: input.recipients,
    messageId,
    trace: input.trace,
    receivedAt: input.receivedAt,
  });
  if (outcomes.every((o) => o.status !== 'temporary-failure')) await ctx.blob.delete(input.stagingKey);
  return { outcomes };
}

/** `deliver.message` for bytes the agent wrote at the first recipient's final key (see the top of this file). */
async function deliverFirstCopy(ctx: StoreContext, input: Parameters<typeof deliverStaged>[1] & { ticket: string }): Promise<ResponseOf<'deliver.message'>> {
  const t = verifyStageTicket(ctx.tokenKey, input.ticket);
  if (t.key !== input.stagingKey || input.recipients[0] !== t.recipient) throw new MailStoreError('BADREQUEST', 'The staging ticket is for another key or recipient');
  if (input.receivedAt === undefined) throw new MailStoreError('BADREQUEST', 'A staged first copy needs its arrival time');
  const incomplete = (): MailStoreError => new MailStoreError('BADREQUEST', 'Staged message bytes are missing or incomplete');
  // Exactly what the agent announced (headers + message), else BADREQUEST: one GET, as an APPEND's bytes are read.
  const stored = await readStaged(ctx, input.stagingKey, t.headBytes + input.size);
  // The agent wrote the headers; they must be exactly those delivery writes for this recipient (delivery.ts).
  const head = traceHeaders({ raw: stored, sender: input.sender, trace: input.trace }, t.recipient, input.receivedAt);
  if (head.length !== t.headBytes || stored.length !== head.length + input.size || !stored.subarray(0, head.length).equals(head)) throw incomplete();
  const raw = stored.subarray(head.length);
  const messageId = input.messageId ?? `sha256:${createHash('sha256').update(raw).digest('hex')}`;
  const staged: StagedCopy = {
    recipient: t.recipient,
    target: { tenantId: t.tenantId as TenantId, userId: t.userId as UserId, login: t.login },
    emailId: t.emailId as EmailId,
    bytes: stored,
  };
  const outcomes = await deliver(
    ctx,
    { raw, sender: input.sender, recipients: input.recipients, messageId, trace: input.trace, receivedAt: input.receivedAt },
    staged,
  );
  return { outcomes };
}
