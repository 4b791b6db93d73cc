// Search-segment seals in the AWS deployment (issue 8): the message function (the esbuild bundle the CDK stack ships,
// configured only by its environment) sends a seal request to an SQS FIFO queue when a commit makes a mailbox due,
// before it answers and without sealing inline; the seal function (also the shipped bundle) consumes the queue the
// way Lambda's event source mapping does (receive a batch, invoke, delete what did not fail). Real parts throughout:
// DynamoDB Local, the S3 stand-in (fauxqs), whose SQS serves the FIFO queue.
import { awsStoreSettings, openShared } from '../e2e/two-process-stores.js';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { CreateQueueCommand, DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { bundleFunction } from '../../cdk/bundle.js';
import { FAMILIES } from '../../cdk/stack.js';
import { addUser } from '../../src/mailstore/directory.js';
import type { Envelope, Operation, RequestOf } from '../../src/mailstore/api.js';
import { FUNCTION_OF, handleRequest } from '../../src/mailstore/functions.js';
import { InlineInvoker, type Invoker } from '../../src/mailstore/invoker.js';
import { MailStoreClient } from '../../src/mailstore/client.js';
import { blobKeys, keys } from '../../src/mailstore/keys.js';
import { directoryFromItem } from '../../src/mailstore/search-segments.js';
import { CallMeter } from '../../src/storage/metered.js';
import type { FunctionEvent } from '../../src/server/lambda.js';
import type { BatchResponse, SealInvocation, SqsEvent } from '../../src/server/seal-handler.js';
import { makeSealHandler } from '../../src/server/seal-handler.js';
import { SealRequests, sqsSealSender } from '../../src/server/seal-requests.js';
import type { SealResult } from '../../src/mailstore/search-seal.js';
import { loadConfig } from '../../src/config.js';
import { openStore, type Store } from '../../src/server/store.js';

type MessageHandler = (event: FunctionEvent) => Promise<unknown>;
type SealHandler = (event: SqsEvent | SealInvocation) => Promise<BatchResponse | SealResult>;

const PASSWORD = 'seal-fn';

function message(i: number): Buffer {
  const word = i % 10 === 7 ? 'quokka' : 'wombat';
  return Buffer.from(`From: sender${i}@example.org\r\nSubject: note ${i}\r\nMessage-ID: <seal-fn.${i}@example.org>\r\n\r\nbody ${word} ${i}\r\n`);
}

describe('seal requests from the Lambda functions, sealed by the seal function (bundled)', () => {
  let dir: string;
  let store: Store;
  let sqs: SQSClient;
  let queueUrl: string;
  let queueName: string;
  let endpoint: string;
  let messageHandler: MessageHandler;
  let sealHandler: SealHandler;
  let client: MailStoreClient;
  /** Invocations of the message function, by operation. */
  const invoked: Record<string, number> = {};
  const saved = { ...process.env };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stratus-seal-fn-'));
    const settings = await awsStoreSettings('seal');
    endpoint = settings.STRATUS_S3_ENDPOINT!;
    sqs = new SQSClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    queueName = `stratus-seal-${randomUUID().slice(0, 8)}.fifo`;
    // As the stack makes it (cdk/stack.ts SealRequests): FIFO, the sender names the deduplication id.
    const created = await sqs.send(
      new CreateQueueCommand({
        QueueName: queueName,
        Attributes: { FifoQueue: 'true', ContentBasedDeduplication: 'false', DeduplicationScope: 'messageGroup', VisibilityTimeout: '60' },
      }),
    );
    queueUrl = created.QueueUrl!;
    // What the stack puts into the message and seal functions' environment (the endpoint is the test's only addition).
    Object.assign(process.env, settings, { STRATUS_SEAL_QUEUE_URL: queueUrl, STRATUS_SQS_ENDPOINT: endpoint });
    store = openShared({ ...process.env });
    assert.equal(FAMILIES.message?.requestsSeals, true);
    assert.equal(FAMILIES.seal?.caller, 'queue');
    const bundles = join(dir, 'bundles');
    const load = async <T>(family: string): Promise<T> =>
      ((await import(pathToFileURL(join(bundleFunction(family, bundles), 'index.mjs')).href)) as { handler: T }).handler;
    messageHandler = await load<MessageHandler>('message');
    sealHandler = await load<SealHandler>('seal');
    // The frontend's side: message.* through the message function's bundle; other families inline (no commit of
    // theirs allocates UIDs). Every request is JSON, as the Lambda invoker sends it.
    const inline = new InlineInvoker(store.ctx);
    const invoker: Invoker = {
      async invoke<O extends Operation>(op: O, request: RequestOf<O>): Promise<Envelope<O>> {
        if (FUNCTION_OF[op] !== 'message') return inline.invoke(op, request);
        invoked[op] = (invoked[op] ?? 0) + 1;
        const answer = await messageHandler(JSON.parse(JSON.stringify({ op, body: request })) as FunctionEvent);
        return JSON.parse(JSON.stringify(answer)) as Envelope<O>;
      },
    };
    client = new MailStoreClient(invoker, store.ctx.blob);
  });
  after(async () => {
    await store.close();
    sqs.destroy();
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
    rmSync(dir, { recursive: true, force: true });
  });

  /** The queue as fauxqs holds it, without receiving (nothing changes visibility). */
  async function queued(): Promise<{ body: string; messageGroupId?: string; messageDeduplicationId?: string }[]> {
    const res = await fetch(`${endpoint}/_fauxqs/queues/${encodeURIComponent(queueName)}`);
    assert.equal(res.status, 200);
    const state = (await res.json()) as { messages: { ready: unknown[]; inflight: { message: unknown }[]; delayed: unknown[] } };
    const all = [...state.messages.ready, ...state.messages.inflight.map((m) => m.message), ...state.messages.delayed];
    return all as { body: string; messageGroupId?: string; messageDeduplicationId?: string }[];
  }

  /** Lambda's event source mapping, once through: receive a batch, invoke the seal function, delete what succeeded. */
  async function pump(): Promise<{ records: number; invocations: number }> {
    let records = 0;
    let invocations = 0;
    for (;;) {
      const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, MessageSystemAttributeNames: ['All'] }));
      const messages = got.Messages ?? [];
      if (messages.length === 0) return { records, invocations };
      records += messages.length;
      invocations++;
      const event: SqsEvent = { Records: messages.map((m) => ({ messageId: m.MessageId!, body: m.Body! })) };
      const answer = (await sealHandler(event)) as BatchResponse;
      assert.deepEqual(answer.batchItemFailures, [], 'every seal of the batch succeeded');
      for (const m of messages) await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle! }));
    }
  }

  async function directory(mailboxId: string) {
    return directoryFromItem(await store.ctx.kv.get('mail', keys.searchDirectory(mailboxId as never), { consistent: true }));
  }

  /** `message.searchText` in this process on the metered store: what one SEARCH costs (KV calls, blob GETs). */
  async function searchCost(token: string, mailboxId: string, word: string) {
    const before = store.meter.snapshot();
    const envelope = await handleRequest(store.ctx, 'message.searchText', { token, mailboxId, keys: [{ kind: 'body' as const, value: word }] });
    assert.ok(envelope.ok);
    const spent = CallMeter.diff(store.meter.snapshot(), before);
    return { ...(envelope.result as { upTo: number; uids: number[][] }), kv: spent.kv, blobGets: spent.byOp['blob.get'] ?? 0 };
  }

  it('queues one request when APPEND crosses the threshold, and the seal function makes SEARCH read segments', async () => {
    const login = 'seal-fn@example.com';
    await addUser(store.ctx, login, PASSWORD);
    const { token } = await client.login(login, PASSWORD);
    let mailboxId = '';
    for (let i = 1; i <= 99; i++) {
      const raw = message(i);
      mailboxId = (await client.append(token, 'INBOX', Readable.from([raw]), raw.length, [], Date.now())).mailboxId;
    }
    assert.equal(invoked['message.append'], 99, 'every APPEND went through the message function');
    assert.deepEqual(await queued(), [], 'below the threshold: nothing requested');

    const raw = message(100);
    const done = await client.append(token, 'INBOX', Readable.from([raw]), raw.length, [], Date.now());
    assert.equal(done.uid, 100);
    // On the queue by the time APPEND answered, not sealed inline.
    const requests = await queued();
    assert.equal(requests.length, 1);
    assert.deepEqual(JSON.parse(requests[0]!.body), { mailboxId, reason: 'uids' });
    assert.equal(requests[0]!.messageGroupId, mailboxId, 'grouped by mailbox');
    assert.equal(requests[0]!.messageDeduplicationId, `${mailboxId}.u1`);
    assert.equal((await directory(mailboxId)).upTo, 0, 'nothing sealed inline');

    // Before the seal: every message is in the tail, matched by the store from its raw bytes (cold items keep no
    // text): 100 GETs in a function that did not store them, then kept (search-docs.ts), so the next SEARCH GETs none.
    const unsealed = await searchCost(token, mailboxId, 'quokka');
    assert.deepEqual([unsealed.upTo, unsealed.uids[0]!.length, unsealed.blobGets], [100, 10, 100]);
    assert.deepEqual(unsealed.uids[0], [7, 17, 27, 37, 47, 57, 67, 77, 87, 97]);
    assert.equal((await searchCost(token, mailboxId, 'quokka')).blobGets, 0);
    // A SEARCH through the message function over that tail asks too (deduplicated per mailbox, once per container).
    for (let i = 0; i < 2; i++) await client.call('message.searchText', { token, mailboxId, keys: [{ kind: 'body', value: 'quokka' }] });
    assert.deepEqual((await queued()).map((m) => m.messageDeduplicationId).sort(), [`${mailboxId}.s`, `${mailboxId}.u1`]);

    const pumped = await pump();
    assert.equal(pumped.records, 2);
    assert.deepEqual(await queued(), [], 'every request consumed');
    const dir = await directory(mailboxId);
    assert.equal(dir.upTo, 100);
    assert.equal(dir.segments.reduce((n, s) => n + s.docs, 0), 100);

    // After: one KV call (META + directory) and one GET of the one segment; no message is left in the tail.
    const sealed = await searchCost(token, mailboxId, 'quokka');
    assert.equal(sealed.upTo, 100);
    assert.deepEqual(sealed.uids[0], [7, 17, 27, 37, 47, 57, 67, 77, 87, 97]);
    assert.deepEqual([sealed.kv, sealed.blobGets], [1, 1]);

    // A redelivered request (or a second one) is harmless: nothing new, the directory unchanged.
    const again = (await sealHandler({ Records: [{ messageId: 'redelivered', body: JSON.stringify({ mailboxId, reason: 'uids' }) }] })) as BatchResponse;
    assert.deepEqual(again.batchItemFailures, []);
    assert.equal((await directory(mailboxId)).version, dir.version);

    // Two seals at once (an operator's invocation beside the queue's): one seals the new messages, the other finds
    // nothing or loses the directory swap; nothing is sealed twice or lost.
    for (let i = 101; i <= 200; i++) {
      const m = message(i);
      await client.append(token, 'INBOX', Readable.from([m]), m.length, [], Date.now());
    }
    assert.deepEqual((await queued()).map((m) => m.messageDeduplicationId), [`${mailboxId}.u2`]);
    const both = (await Promise.all([sealHandler({ mailboxId }), sealHandler({ mailboxId })])) as SealResult[];
    assert.equal(both[0]!.sealed + both[1]!.sealed, 100);
    assert.ok(both.filter((r) => r.lost).length <= 1);
    assert.equal((await pump()).records, 1, 'the queued request finds nothing left to do');
    const final = await searchCost(token, mailboxId, 'quokka');
    assert.equal(final.upTo, 200);
    assert.equal(final.uids[0]!.length, 20);
    assert.equal((await directory(mailboxId)).segments.reduce((n, s) => n + s.docs, 0), 200);
  });

  it('merges a mailbox named twice in a batch, drops what is not a request, and retries a failed mailbox alone', async () => {
    const login = 'seal-batch@example.com';
    await addUser(store.ctx, login, PASSWORD);
    const { token } = await client.login(login, PASSWORD);
    let mailboxId = '';
    for (let i = 1; i <= 3; i++) {
      const raw = message(i);
      mailboxId = (await client.append(token, 'INBOX', Readable.from([raw]), raw.length, [], Date.now())).mailboxId;
    }
    const body = JSON.stringify({ mailboxId, reason: 'search' });
    const gone = JSON.stringify({ mailboxId: '01JZZZZZZZZZZZZZZZZZZZZZZZ', reason: 'uids' }); // no such mailbox: nothing to seal
    const answer = (await sealHandler({
      Records: [
        { messageId: 'm1', body: 'not json' },
        { messageId: 'm2', body: JSON.stringify({ mailboxId: '../../etc' }) },
        { messageId: 'm3', body },
        { messageId: 'm4', body },
        { messageId: 'm5', body: gone },
      ],
    })) as BatchResponse;
    assert.deepEqual(answer.batchItemFailures, []);
    assert.equal((await directory(mailboxId)).upTo, 3, 'sealed once, below the threshold too when asked');

    // One mailbox whose seal fails (its last segment's blob is gone, so the top-up cannot read it) beside one that
    // seals: the failed record and the later one of the same mailbox are reported (its FIFO group stays in order),
    // the other mailbox is sealed, the dropped record is not reported.
    const other = 'seal-batch-2@example.com';
    await addUser(store.ctx, other, PASSWORD);
    const otherToken = (await client.login(other, PASSWORD)).token;
    const m = message(1);
    const otherMailbox = (await client.append(otherToken, 'INBOX', Readable.from([m]), m.length, [], Date.now())).mailboxId;
    const m4 = message(4);
    await client.append(token, 'INBOX', Readable.from([m4]), m4.length, [], Date.now());
    const segment = (await directory(mailboxId)).segments[0]!;
    const { tenantId, userId } = await client.login(login, PASSWORD);
    await store.ctx.blob.delete(blobKeys.searchSegment(tenantId as never, userId as never, mailboxId as never, segment.id));
    const mixed = (await sealHandler({
      Records: [
        { messageId: 'y0', body },
        { messageId: 'y1', body: 'garbage' },
        { messageId: 'y2', body: JSON.stringify({ mailboxId: otherMailbox, reason: 'search' }) },
        { messageId: 'y3', body: JSON.stringify({ mailboxId, reason: 'uids' }) },
      ],
    })) as BatchResponse;
    assert.deepEqual(mixed.batchItemFailures, [{ itemIdentifier: 'y0' }, { itemIdentifier: 'y3' }]);
    assert.equal((await directory(otherMailbox)).upTo, 1, 'the other mailbox was sealed');
    assert.equal((await directory(mailboxId)).upTo, 3, 'the failed seal changed nothing');

    // A store that fails altogether (its table does not exist): every request is reported, the dropped one is not.
    const broken = openStore(loadConfig({ ...process.env, STRATUS_TABLE_MAIL: `missing-${randomUUID().slice(0, 8)}` }));
    try {
      const failing = makeSealHandler(() => ({ ctx: broken.ctx }));
      const out = (await failing({
        Records: [
          { messageId: 'x0', body: '{}' },
          { messageId: 'x1', body },
          { messageId: 'x2', body: gone },
        ],
      })) as BatchResponse;
      assert.deepEqual(out.batchItemFailures, [{ itemIdentifier: 'x1' }, { itemIdentifier: 'x2' }]);
      await assert.rejects(failing({ mailboxId: 'no/such' } as SealInvocation), /mailboxId/);
    } finally {
      await broken.close();
    }
  });

  it('never fails the command when the queue cannot take a request: flush resolves, the failure is reported', async () => {
    const errors: string[] = [];
    const missing = queueUrl.replace(queueName, `missing-${randomUUID().slice(0, 8)}.fifo`);
    const requests = new SealRequests(sqsSealSender(sqs, missing), (err, request) => errors.push(`${request.mailboxId}: ${String(err)}`));
    requests.allocated('01JAAAAAAAAAAAAAAAAAAAAAAA', 1, 2); // no threshold crossed: nothing sent
    requests.allocated('01JAAAAAAAAAAAAAAAAAAAAAAA', 95, 105);
    requests.due('01JBBBBBBBBBBBBBBBBBBBBBBB');
    requests.due('01JBBBBBBBBBBBBBBBBBBBBBBB'); // remembered: not sent again within the deduplication interval
    await requests.flush();
    assert.deepEqual(requests.counts, { sent: 2, failed: 2 });
    assert.equal(errors.length, 2);
  });
});
