// SES receiving (issue 6): a receipt rule stores the raw message in S3 and invokes the ingest function with the
// receipt event; this turns that event into deliveries. The event's shape is SES's documented one (`Records[].ses`
// with `mail` and `receipt`, see test/fixtures/ses/receipt-event.json). The object is found from the rule's S3
// action (`bucketName` + `objectKey`, or `objectKeyPrefix` + message id); when the event names only the Lambda
// action, the configured inbound bucket and prefix are used with the message id, as SES names the object.
// Retrying is safe: each (SES message id, recipient) is delivered at most once (delivery markers).
import { z } from 'zod';
import type { StoreContext } from './context.js';
import { deliver, type DeliveryOutcome } from './delivery.js';
import { MailStoreError } from './errors.js';

const action = z.union([
  z.object({
    type: z.literal('S3'),
    bucketName: z.string().min(1),
    objectKeyPrefix: z.string().optional(),
    objectKey: z.string().min(1).optional(),
  }),
  z.object({ type: z.string().min(1) }).passthrough(),
]);

const sesRecord = z.object({
  eventSource: z.literal('aws:ses'),
  ses: z.object({
    mail: z.object({
      messageId: z.string().min(1).max(255),
      source: z.string().max(320),
      timestamp: z.string().optional(),
      destination: z.array(z.string()).optional(),
    }),
    receipt: z.object({
      timestamp: z.string().optional(),
      recipients: z.array(z.string().min(1).max(320)).min(1).max(1000),
      action,
    }),
  }),
});

export const sesEventSchema = z.object({ Records: z.array(sesRecord).min(1) });
export type SesEvent = z.infer<typeof sesEventSchema>;

export interface ObjectLocation {
  bucket: string;
  key: string;
}

export interface IngestOptions {
  /** Reads one whole object (the raw message SES stored). */
  readObject(location: ObjectLocation): Promise<Buffer>;
  /** Where SES puts messages when the event names no S3 action (the receipt rule's S3 action settings). */
  inbound?: { bucket: string; prefix: string };
  /** `by` of the Received header. */
  hostname?: string;
}

export interface IngestRecordResult {
  sesMessageId: string;
  location: ObjectLocation | null;
  outcomes: DeliveryOutcome[];
}

export interface IngestResult {
  records: IngestRecordResult[];
  /**
   * Some recipient should be tried again (a temporary failure, or a full mailbox: RFC 3463 X.2.2 is a persistent
   * transient failure). Delivered recipients are not stored again on the retry.
   */
  retry: boolean;
}

export function isSesEvent(event: unknown): boolean {
  return typeof event === 'object' && event !== null && Array.isArray((event as { Records?: unknown }).Records);
}

export function objectLocation(record: SesEvent['Records'][number], inbound?: { bucket: string; prefix: string }): ObjectLocation {
  const { mail, receipt } = record.ses;
  const a = receipt.action;
  if (a.type === 'S3' && 'bucketName' in a && typeof a.bucketName === 'string') {
    const prefix = typeof a.objectKeyPrefix === 'string' ? a.objectKeyPrefix : '';
    const key = typeof a.objectKey === 'string' ? a.objectKey : `${prefix}${mail.messageId}`;
    return { bucket: a.bucketName, key };
  }
  if (!inbound) throw new MailStoreError('BADREQUEST', `The event names no S3 action and no inbound bucket is configured`);
  return { bucket: inbound.bucket, key: `${inbound.prefix}${mail.messageId}` };
}

export async function ingestSesEvent(ctx: StoreContext, rawEvent: unknown, options: IngestOptions): Promise<IngestResult> {
  const parsed = sesEventSchema.safeParse(rawEvent);
  if (!parsed.success) throw new MailStoreError('BADREQUEST', `Not an SES receipt event: ${parsed.error.issues[0]?.message ?? ''}`);
  const records: IngestRecordResult[] = [];
  let retry = false;
  for (const record of parsed.data.Records) {
    const { mail, receipt } = record.ses;
    const location = objectLocation(record, options.inbound);
    let raw: Buffer;
    try {
      raw = await options.readObject(location);
    } catch (err) {
      // Not readable now (or not yet): every recipient of this record is retried.
      const reason = `Cannot read s3://${location.bucket}/${location.key}: ${err instanceof Error ? err.message : String(err)}`;
      records.push({
        sesMessageId: mail.messageId,
        location,
        outcomes: receipt.recipients.map((recipient) => ({ recipient, status: 'temporary-failure', reason })),
      });
      retry = true;
      continue;
    }
    const receivedAt = Date.parse(receipt.timestamp ?? mail.timestamp ?? '');
    const outcomes = await deliver(ctx, {
      raw,
      sender: mail.source,
      recipients: receipt.recipients,
      messageId: `ses:${mail.messageId}`,
      trace: { protocol: 'ESMTP', from: 'amazonses.com', by: options.hostname, id: mail.messageId },
      receivedAt: Number.isFinite(receivedAt) ? receivedAt : undefined,
    });
    if (outcomes.some((o) => o.status === 'temporary-failure' || o.status === 'over-quota')) retry = true;
    records.push({ sesMessageId: mail.messageId, location, outcomes });
  }
  return { records, retry };
}
