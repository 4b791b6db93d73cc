// Lambda wiring of the search-segment seal (functions/seal.ts). In AWS the functions that commit UIDs send a request
// per due mailbox to an SQS FIFO queue (seal-requests.ts); an event source mapping (cdk/stack.ts) hands batches of
// them to this handler, which seals each mailbox once (src/mailstore/search-seal.ts sealMailbox: idempotent, and a
// seal that loses the directory swap to another changes nothing). An operator may also invoke it directly with
// `{"mailboxId": "<id>"}` (and `"compact": true` to rewrite segments that are more than half dead).
//
// Batch semantics (Lambda's partial batch response, ReportBatchItemFailures): the records are sealed in order, a
// mailbox named twice in one batch once. When a mailbox's seal fails, that record and every later record of the same
// mailbox (its FIFO message group) are reported, so SQS redelivers them in order and, after the queue's
// maxReceiveCount, moves them to the dead-letter queue; the other mailboxes of the batch are sealed as usual (FIFO
// orders messages within a group only, and one mailbox's broken seal must not hold back, or dead-letter, the others'
// requests). A record that is not a seal request is logged and dropped: retrying it could only fail again.
import { loadConfig } from '../config.js';
import type { StoreContext } from '../mailstore/context.js';
import type { MailboxId } from '../mailstore/ids.js';
import { sealMailbox, type SealResult } from '../mailstore/search-seal.js';
import { openStore } from './store.js';

/** The part of an SQS record this handler reads. */
export interface SqsRecord {
  messageId: string;
  body: string;
}

export interface SqsEvent {
  Records: SqsRecord[];
}

/** An operator's direct invocation. */
export interface SealInvocation {
  mailboxId: string;
  compact?: boolean;
}

export interface BatchResponse {
  batchItemFailures: { itemIdentifier: string }[];
}

export interface SealHandlerDeps {
  ctx: StoreContext;
  /** The clock (tests move it); Date.now by default. */
  now?: () => number;
}

/** Mailbox ids are ours (src/mailstore/ids.ts): Crockford base32, no separators; anything else is not a request. */
const MAILBOX_ID = /^[0-9A-Za-z]{10,64}$/;

function mailboxOf(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { mailboxId?: unknown };
    return typeof parsed?.mailboxId === 'string' && MAILBOX_ID.test(parsed.mailboxId) ? parsed.mailboxId : undefined;
  } catch {
    return undefined;
  }
}

function isSqsEvent(event: unknown): event is SqsEvent {
  return typeof event === 'object' && event !== null && Array.isArray((event as { Records?: unknown }).Records);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function makeSealHandler(open: () => SealHandlerDeps = () => ({ ctx: openStore(loadConfig()).ctx })) {
  let deps: SealHandlerDeps | undefined; // built on the first invocation, reused while the container lives
  const seal = (mailboxId: string, compact = false): Promise<SealResult> =>
    sealMailbox(deps!.ctx, mailboxId as MailboxId, { compact, ...(deps!.now ? { now: deps!.now() } : {}) });

  async function batch(event: SqsEvent): Promise<BatchResponse> {
    const done = new Set<string>();
    const failed = new Set<string>();
    const totals = { mailboxes: 0, merged: 0, dropped: 0, sealed: 0, written: 0, retired: 0, lost: 0 };
    const failures: { itemIdentifier: string }[] = [];
    for (const record of event.Records) {
      const mailboxId = mailboxOf(record.body);
      if (mailboxId === undefined) {
        totals.dropped++;
        console.warn(JSON.stringify({ msg: 'seal request dropped', messageId: record.messageId, body: record.body.slice(0, 200) }));
        continue;
      }
      if (failed.has(mailboxId)) {
        failures.push({ itemIdentifier: record.messageId }); // must not overtake the failed one
        continue;
      }
      if (done.has(mailboxId)) {
        totals.merged++; // the seal just run covered it: it read META.uidNext after this request was sent
        continue;
      }
      try {
        const result = await seal(mailboxId);
        done.add(mailboxId);
        totals.mailboxes++;
        totals.sealed += result.sealed;
        totals.written += result.written;
        totals.retired += result.retired;
        if (result.lost) totals.lost++;
      } catch (err) {
        console.warn(JSON.stringify({ msg: 'seal failed', mailboxId, err: errorText(err) }));
        failed.add(mailboxId);
        failures.push({ itemIdentifier: record.messageId });
      }
    }
    console.log(JSON.stringify({ msg: 'seal done', records: event.Records.length, ...totals, failed: failures.length }));
    return { batchItemFailures: failures };
  }

  return async (event: SqsEvent | SealInvocation): Promise<BatchResponse | SealResult> => {
    deps ??= open();
    if (isSqsEvent(event)) return batch(event);
    const mailboxId = typeof event?.mailboxId === 'string' && MAILBOX_ID.test(event.mailboxId) ? event.mailboxId : undefined;
    if (mailboxId === undefined) throw new Error('give "mailboxId" (or invoke through the seal queue)');
    const result = await seal(mailboxId, event.compact === true);
    console.log(JSON.stringify({ msg: 'seal done', mailboxId, ...result }));
    return result;
  };
}
