// Seal requests from the Lambda functions (AWS): a commit in the message or ingest function that makes a mailbox's
// search segments due (src/mailstore/search-seal.ts: every SEAL_THRESHOLD UIDs), or a text SEARCH that found a long
// unsealed tail (search-segments.ts `sealDue`), sends one small message to an SQS FIFO queue; the seal function
// (seal-handler.ts, functions/seal.ts) consumes it. The seal never runs inside the user's command: the send starts at
// the commit, runs beside the rest of the operation, and the invocation only waits for it before answering (a frozen
// container sends nothing), like the change hints of lambda.ts.
//
// FIFO with MessageGroupId = mailboxId: seals of one mailbox run one after the other (no two race for its segment
// directory), different mailboxes in parallel. MessageDeduplicationId: `<mailboxId>.u<n>` for the commit that crossed
// the n-th threshold (a retried or replayed commit sends the same id) and `<mailboxId>.s` for a SEARCH's request, so
// SQS keeps at most one of each per 5-minute deduplication interval. A request that cannot be sent is logged and
// dropped: sealing is an optimisation (SEARCH stays correct through the unsealed tail) and the next threshold or the
// next SEARCH over the tail asks again.
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Config } from '../config.js';
import { SEAL_THRESHOLD } from '../mailstore/search-segments.js';
import type { StoreContext } from '../mailstore/context.js';

/** What goes on the queue, as JSON (the seal handler validates it). */
export interface SealRequest {
  mailboxId: string;
  /** `uids`: a commit crossed a threshold; `search`: a text SEARCH met ≥ SEAL_THRESHOLD unsealed messages. */
  reason: 'uids' | 'search';
}

/** Sends one request; resolves once the queue has it. */
export type SealRequestSender = (request: SealRequest, deduplicationId: string) => Promise<void>;

/** SQS FIFO deduplication interval: a SEARCH's request is not sent again from this container within it. */
const DEDUP_INTERVAL_MS = 5 * 60 * 1000;
/** Bound on the per-container memory of recent SEARCH requests (one entry per mailbox searched). */
const MAX_REMEMBERED = 10_000;

/** True when a commit that allocated UIDs [from, to) crossed a multiple of SEAL_THRESHOLD (SealQueue's rule). */
export function crossesSealThreshold(from: number, to: number): boolean {
  return Math.floor((to - 1) / SEAL_THRESHOLD) > Math.floor((from - 1) / SEAL_THRESHOLD);
}

export class SealRequests {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly searched = new Map<string, number>();
  /** Requests handed to the sender, and those it failed (for logs and tests). */
  readonly counts = { sent: 0, failed: 0 };

  constructor(
    private readonly send: SealRequestSender,
    private readonly onError: (err: unknown, request: SealRequest) => void = () => undefined,
    private readonly now: () => number = Date.now,
  ) {}

  /** StoreContext.uidsAllocated: due when the commit crossed a threshold. */
  allocated(mailboxId: string, from: number, to: number): void {
    if (!crossesSealThreshold(from, to)) return;
    this.dispatch({ mailboxId, reason: 'uids' }, `${mailboxId}.u${Math.floor((to - 1) / SEAL_THRESHOLD)}`);
  }

  /** StoreContext.sealDue: a SEARCH over a long tail; at most once per mailbox per deduplication interval. */
  due(mailboxId: string): void {
    const now = this.now();
    const last = this.searched.get(mailboxId);
    if (last !== undefined && now - last < DEDUP_INTERVAL_MS) return;
    if (this.searched.size >= MAX_REMEMBERED) this.searched.clear();
    this.searched.set(mailboxId, now);
    this.dispatch({ mailboxId, reason: 'search' }, `${mailboxId}.s`);
  }

  /** Points `ctx`'s seal hooks at this queue (fire and forget: neither throws nor waits). */
  wire(ctx: StoreContext): void {
    ctx.uidsAllocated = (mailboxId, from, to) => this.allocated(mailboxId, from, to);
    ctx.sealDue = (mailboxId) => this.due(mailboxId);
  }

  /** Resolves once every request started so far was sent or given up; never rejects. */
  async flush(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  private dispatch(request: SealRequest, deduplicationId: string): void {
    this.counts.sent++;
    const sending = this.send(request, deduplicationId)
      .catch((err: unknown) => {
        this.counts.failed++;
        this.onError(err, request);
      })
      .finally(() => this.inFlight.delete(sending));
    this.inFlight.add(sending);
  }
}

/** The sender for an SQS FIFO queue: MessageGroupId = mailboxId, the deduplication id as given. */
export function sqsSealSender(client: SQSClient, queueUrl: string): SealRequestSender {
  return async (request, deduplicationId) => {
    await client.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: JSON.stringify(request),
        MessageGroupId: request.mailboxId,
        MessageDeduplicationId: deduplicationId,
      }),
    );
  };
}

/** An SQS client whose calls are bounded: a slow queue delays an answer by a few seconds at most, never fails it. */
export function makeSqsClient(options: { region: string; endpoint?: string }): SQSClient {
  return new SQSClient({
    region: options.region,
    endpoint: options.endpoint,
    maxAttempts: 2,
    requestHandler: { requestTimeout: 2_000, connectionTimeout: 1_000, throwOnRequestTimeout: true },
  });
}

/** The seal requests of a Lambda container when STRATUS_SEAL_QUEUE_URL is set, undefined otherwise. */
export function sealRequestsFromConfig(config: Pick<Config, 'sealQueueUrl' | 'aws'>): SealRequests | undefined {
  if (config.sealQueueUrl === undefined) return undefined;
  const sender = sqsSealSender(makeSqsClient({ region: config.aws.region, endpoint: config.aws.sqsEndpoint }), config.sealQueueUrl);
  return new SealRequests(sender, (err, request) =>
    console.warn(JSON.stringify({ msg: 'seal request not sent', mailboxId: request.mailboxId, reason: request.reason, err: err instanceof Error ? err.message : String(err) })),
  );
}
