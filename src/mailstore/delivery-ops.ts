// The delivery operations of the MailStore API (deliver.*), for frontends that receive mail (LMTP). As with APPEND,
// bytes never pass through a function: the frontend asks `deliver.prepare` for a staging key (`in/<id>.eml`; in AWS
// this becomes a presigned URL), puts the bytes there, then calls `deliver.message`, which reads them, delivers a
// copy per recipient under that recipient's owner prefix, and deletes the staged object once no recipient needs a
// retry. A staged object left behind (a crashed frontend) is owned by no tenant; a lifecycle rule on `in/` removes it.
import { createHash } from 'node:crypto';
import type { ResponseOf } from './api.js';
import type { StoreContext } from './context.js';
import { agentOf } from './delivery-agent.js';
import { deliver, resolveRecipient, type DeliveryTrace } from './delivery.js';
import { MailStoreError } from './errors.js';
import { newId } from './ids.js';
import { blobKeys } from './keys.js';

/** Only keys this function handed out: an agent cannot make delivery read some user's message blob. */
const STAGING_KEY = /^in\/[0-9A-Z]{26}\.eml$/;

export function prepareDelivery(ctx: StoreContext, token: string, size: number): ResponseOf<'deliver.prepare'> {
  agentOf(ctx, token);
  if (size > ctx.maxMessageBytes) throw new MailStoreError('LIMIT', `Message is larger than ${ctx.maxMessageBytes} bytes`);
  return { stagingKey: blobKeys.staging(newId()) };
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
  },
): Promise<ResponseOf<'deliver.message'>> {
  agentOf(ctx, input.token);
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
