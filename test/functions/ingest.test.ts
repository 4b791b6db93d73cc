// The SES ingest function on the real AWS stand-ins (DynamoDB Local + the S3 stand-in): the sample receipt event
// (test/fixtures/ses/receipt-event.json, SES's documented shape), the raw message read from the bucket and key the
// rule's S3 action names, per-recipient results, and a retry that stores nothing twice.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { S3Client } from '@aws-sdk/client-s3';
import { awsBackend, type TestBackend } from '../backends.js';
import { addUser, type UserSummary } from '../../src/mailstore/directory.js';
import { keys } from '../../src/mailstore/keys.js';
import { InlineInvoker } from '../../src/mailstore/invoker.js';
import { MailStoreClient } from '../../src/mailstore/client.js';
import { ingestSesEvent, type SesEvent } from '../../src/mailstore/delivery-ses.js';
import { IngestRetryError, makeIngestHandler, readAll, type ObjectReader } from '../../src/server/ingest-handler.js';
import { loadConfig } from '../../src/config.js';
import { S3Blob } from '../../src/storage/s3/s3-blob.js';

const fixture = (name: string) => new URL(`../fixtures/ses/${name}`, import.meta.url);

describe('SES ingest on dynamodb-local + s3', () => {
  let b: TestBackend;
  let s3: S3Client;
  let bucket: string;
  let event: SesEvent;
  let full: UserSummary;
  const raw = readFileSync(fixture('message.eml'));
  const reader: ObjectReader = async (location, maxBytes) => readAll(await new S3Blob({ client: s3, bucket: location.bucket }).get(location.key), maxBytes);

  before(async () => {
    b = await awsBackend.open();
    s3 = new S3Client({
      endpoint: process.env.STRATUS_TEST_S3_ENDPOINT,
      region: 'us-east-1',
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    bucket = process.env.STRATUS_TEST_S3_BUCKET!;
    event = JSON.parse(readFileSync(fixture('receipt-event.json'), 'utf8')) as SesEvent;
    // The sample names SES's bucket; here the object lives in the stand-in's bucket, under the rule's prefix.
    const prefix = `ses-${randomUUID().slice(0, 8)}/inbound/`;
    const action = event.Records[0]!.ses.receipt.action as { bucketName: string; objectKeyPrefix: string; objectKey: string };
    action.bucketName = bucket;
    action.objectKeyPrefix = prefix;
    action.objectKey = `${prefix}${event.Records[0]!.ses.mail.messageId}`;
    await new S3Blob({ client: s3, bucket }).put(action.objectKey, raw, raw.length);

    await addUser(b.ctx, 'alice@example.com', 'pw-alice');
    full = await addUser(b.ctx, 'full@example.com', 'pw-full');
    await b.kv.update('mail', keys.user(full.userId), { set: { quotaMessages: 0 } });
  });
  after(async () => {
    s3.destroy();
    await b.close();
  });

  const inboxCount = async (user: string): Promise<number> => {
    const client = new MailStoreClient(new InlineInvoker(b.ctx), b.blob);
    const { token } = await client.login(user, user.startsWith('alice') ? 'pw-alice' : 'pw-full');
    return (await client.call('mailbox.status', { token, path: 'INBOX' })).messages;
  };

  it('delivers the sample event per recipient from the object the S3 action names', async () => {
    const result = await ingestSesEvent(b.ctx, event, { readObject: (l) => reader(l, b.ctx.maxMessageBytes), hostname: 'stratus.test' });
    assert.equal(result.records.length, 1);
    const record = result.records[0]!;
    assert.equal(record.sesMessageId, 'o3vrnil0e2ic28trm7dfhrc2v0clambda4nbp0g1');
    assert.deepEqual(record.outcomes.map((o) => [o.recipient, o.status]), [
      ['alice@example.com', 'delivered'],
      ['nobody@example.com', 'unknown-user'],
      ['full@example.com', 'over-quota'],
    ]);
    assert.equal(result.retry, true, 'a full mailbox is a persistent transient failure: SES delivery is retried');
    assert.equal(await inboxCount('alice@example.com'), 1);

    // The stored copy: our trace headers, then SES's object byte for byte.
    const client = new MailStoreClient(new InlineInvoker(b.ctx), b.blob);
    const { token } = await client.login('alice@example.com', 'pw-alice');
    const opened = await client.call('mailbox.open', { token, path: 'INBOX' });
    const body = await readAll(await client.openBody(token, opened.blobPrefix, opened.messages.emailIds[0]!), 1 << 20);
    assert.match(body.toString(), /^Return-Path: <sender@example\.org>\r\nDelivered-To: alice@example\.com\r\nReceived: from amazonses\.com\r\n\tby stratus\.test \(Stratus\) with ESMTP id o3vrnil0e2ic28trm7dfhrc2v0clambda4nbp0g1\r\n\tfor <alice@example\.com>; Tue, 04 Mar 2025 09:05:07 \+0000\r\n/);
    assert.ok(body.subarray(body.length - raw.length).equals(raw));
    assert.equal(opened.messages.dates[0], Date.parse('2025-03-04T09:05:07.000Z'));
  });

  it('through the Lambda handler: fails for retry while a recipient is full, then a retry stores nothing twice', async () => {
    const handler = makeIngestHandler(() => ({
      store: { ctx: b.ctx, meter: b.meter, client: new MailStoreClient(new InlineInvoker(b.ctx), b.blob), close: async () => {} },
      config: loadConfig({}),
      reader,
    }));
    await assert.rejects(handler(event), (err: unknown) => err instanceof IngestRetryError && /full@example\.com \(over-quota\)/.test(err.message));
    await b.kv.update('mail', keys.user(full.userId), { set: { quotaMessages: 10 } });
    const result = (await handler(event)) as Awaited<ReturnType<typeof ingestSesEvent>>;
    assert.equal(result.retry, false);
    assert.deepEqual(result.records[0]!.outcomes.map((o) => [o.status, 'duplicate' in o ? o.duplicate : null]), [
      ['delivered', true],
      ['unknown-user', null],
      ['delivered', false],
    ]);
    assert.equal(await inboxCount('alice@example.com'), 1);
    assert.equal(await inboxCount('full@example.com'), 1);
    // Non-SES events are MailStore requests of the ingest family.
    const wrong = (await handler({ op: 'mailbox.list', body: {} })) as { ok: boolean };
    assert.equal(wrong.ok, false);
  });

  it('refuses an event that is not an SES receipt event, and retries a record whose object is missing', async () => {
    await assert.rejects(ingestSesEvent(b.ctx, { Records: [{ eventSource: 'aws:s3' }] }, { readObject: () => Promise.reject(new Error('unused')) }), {
      code: 'BADREQUEST',
    });
    const missing = structuredClone(event);
    (missing.Records[0]!.ses.receipt.action as { objectKey: string }).objectKey = 'no/such/object';
    const result = await ingestSesEvent(b.ctx, missing, { readObject: (l) => reader(l, b.ctx.maxMessageBytes) });
    assert.equal(result.retry, true);
    assert.ok(result.records[0]!.outcomes.every((o) => o.status === 'temporary-failure'));
  });
});
