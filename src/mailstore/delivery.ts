// Delivery (issue 6): one raw message to one or many recipients' INBOXes, as LMTP and SES ingest need it.
//
// Per recipient: resolve the address (a login, else an alias item), then store the bytes once under the recipient's
// owner prefix with Return-Path / Delivered-To / Received in front of the original bytes (which are otherwise kept
// byte for byte), write the cold item, and commit into INBOX through the APPEND commit (storage-design §C4). That
// one transaction also puts the idempotency marker `U#<user>/D#<hash of the message id>` (attribute_not_exists) and
// carries the user's quota as the usage condition, so a retried delivery is answered from the marker and never
// stored twice, and an over-quota recipient is refused by the transaction itself. Recipients fail independently.
// The marker, the user and the INBOX name item all live in the user's partition: one strongly consistent batchGet
// reads the three. A copy the agent already wrote at its final key (`staged`, delivery-ticket.ts) is not stored again.
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type { KvItem, TxAction } from '../storage/kv.js';
import type { StoreContext } from './context.js';
import { MailStoreError } from './errors.js';
import { newEmailId, type EmailId, type MailboxId, type TenantId, type UserId } from './ids.js';
import { blobKeys, keys } from './keys.js';
import { coldParts, commitAppend, putColdItem, type AppendCommitted } from './messages.js';
import { lookupRoom, resolveThreads } from './thread-ids.js';
import { normalizeLogin } from './directory.js';

/** Markers outlive any MTA retry schedule (Postfix gives up after 5 days) and then expire (DynamoDB TTL `ttl`). */
const MARKER_TTL_SECONDS = 30 * 24 * 3600;
/** Change-log `by` of deliveries: no IMAP session has this id, so every session announces the new message. */
const DELIVERY_SESSION = 'delivery';

export interface DeliveryTrace {
  /** `with` of the Received header (RFC 5321 §4.4): LMTP, or e.g. ESMTPS for mail SES received. */
  protocol: string;
  /** `from` of the Received header: the client's LHLO name, or the system that handed us the message. */
  from: string;
  /** The client's address, shown in the Received comment when known. */
  remoteAddress?: string;
  /** `by`: this host; defaults to the machine's name. */
  by?: string;
  /** `id`: the transaction id (the SES message id, the LMTP session id). */
  id?: string;
}

export interface DeliveryRequest {
  /** The message as received, byte for byte. */
  raw: Buffer;
  /** The envelope sender (MAIL FROM / SES return path); '' is the null sender of bounces. */
  sender: string;
  recipients: string[];
  /** What makes a retry "the same delivery": the SES message id, or a digest of the bytes (LMTP). */
  messageId: string;
  trace: DeliveryTrace;
  /** Time of arrival (INTERNALDATE and the Received date); now when unset. */
  receivedAt?: number;
}

export type DeliveryOutcome =
  | {
      recipient: string;
      status: 'delivered';
      mailboxId: string;
      uid: number;
      uidValidity: number;
      /** True when an earlier delivery of this message to this recipient had already stored it. */
      duplicate: boolean;
    }
  | { recipient: string; status: 'unknown-user' | 'over-quota' }
  | { recipient: string; status: 'temporary-failure'; reason: string };

export interface Recipient {
  tenantId: TenantId;
  userId: UserId;
  login: string;
}

/**
 * The user an address delivers to: the login of that name, else an alias item `ALIAS#<address>` carrying
 * `userId`/`tenantId` (issue 4 manages aliases; this is the one place delivery looks them up).
 */
export async function resolveRecipient(ctx: StoreContext, address: string): Promise<Recipient | undefined> {
  let normalized: string;
  try {
    normalized = normalizeLogin(address);
  } catch {
    return undefined;
  }
  const login = await ctx.kv.get('mail', keys.login(normalized), { consistent: true });
  if (login) {
    return login.status === 'active'
      ? { tenantId: login.tenantId as TenantId, userId: login.userId as UserId, login: normalized }
      : undefined;
  }
  const alias = await ctx.kv.get('mail', keys.alias(normalized), { consistent: true });
  if (alias && typeof alias.userId === 'string' && typeof alias.tenantId === 'string' && alias.status !== 'disabled') {
    return { tenantId: alias.tenantId as TenantId, userId: alias.userId as UserId, login: normalized };
  }
  return undefined;
}

/**
 * One recipient's copy already in the blob store at its final key (written by the agent, delivery-ops.ts): `bytes`
 * are the trace headers for that recipient + the message, `target` what its address resolved to when the key was
 * handed out.
 */
export interface StagedCopy {
  recipient: string;
  target: Recipient;
  emailId: EmailId;
  bytes: Buffer;
}

/** Delivers to every recipient (each at most once, in the order given); never throws for one recipient's failure. */
export async function deliver(ctx: StoreContext, request: DeliveryRequest, staged?: StagedCopy): Promise<DeliveryOutcome[]> {
  if (request.raw.length > ctx.maxMessageBytes) throw new MailStoreError('LIMIT', `Message is larger than ${ctx.maxMessageBytes} bytes`);
  const unique = [...new Set(request.recipients)];
  const outcomes = await Promise.all(unique.map((r) => deliverOne(ctx, request, r, staged?.recipient === r ? staged : undefined)));
  const byRecipient = new Map(unique.map((r, i) => [r, outcomes[i]!]));
  return request.recipients.map((r) => byRecipient.get(r)!);
}

async function deliverOne(ctx: StoreContext, request: DeliveryRequest, recipient: string, staged?: StagedCopy): Promise<DeliveryOutcome> {
  try {
    const target = staged ? staged.target : await resolveRecipient(ctx, recipient);
    if (!target) return { recipient, status: 'unknown-user' };
    const markerKey = keys.delivered(target.userId, markerHash(request.messageId));
    const { marker, user, inbox } = await readRecipient(ctx, target.userId, markerKey);
    if (marker) return delivered(recipient, marker, true);
    // A disabled user (reached through an alias too) takes no mail; its data stays (issue 4 item 6).
    if (!user || user.status === 'disabled') return { recipient, status: 'unknown-user' };
    const receivedAt = request.receivedAt ?? Date.now();
    const bytes = staged ? staged.bytes : Buffer.concat([traceHeaders(request, recipient, receivedAt), request.raw]);
    const limits = quotaOf(user);
    // Refuse early what cannot fit, so a full mailbox costs no blob; the transaction below is the authority.
    if (wouldExceed(user, limits, bytes.length)) return { recipient, status: 'over-quota' };
    // As resolvePath (mailboxes.ts) answers for the owner's own INBOX, from the name item read above.
    if (!inbox) throw new MailStoreError('NONEXISTENT', `Mailbox doesn't exist: INBOX`);
    const mailboxId = inbox.mailboxId as MailboxId;

    const emailId = staged ? staged.emailId : newEmailId();
    if (!staged) await ctx.blob.put(blobKeys.message(target.tenantId, target.userId, emailId), bytes, bytes.length);
    const cold = coldParts(bytes);
    // RFC 8474 THREADID through the user's earlier messages (thread-ids.ts): at most one batchGet.
    const threads = await resolveThreads(ctx, target.userId, [cold.index.hdr]);
    await putColdItem(ctx, target.tenantId, target.userId, emailId, cold, threads.threads[0]);
    let attempts = 0;
    const done = await commitAppend(
      ctx,
      target.userId,
      mailboxId,
      DELIVERY_SESSION,
      { emailId, size: bytes.length, bits: 0, keywords: [], internalDate: receivedAt },
      {
        limits,
        extraActions: (uid, uidValidity): TxAction[] => [
          {
            type: 'put',
            table: 'mail',
            item: {
              ...markerKey,
              mailboxId,
              uid,
              uidValidity,
              emailId,
              at: Date.now(),
              ttl: Math.floor(Date.now() / 1000) + MARKER_TTL_SECONDS,
            },
            condition: { op: 'notExists', attr: 'pk' },
          },
          ...threads.lookupActions(lookupRoom(2)),
        ],
        // A lost race with a concurrent retry of this delivery shows up as the marker's condition failing; the
        // re-plan then finds the marker and answers with the winner's UID (our blob and cold item are GC's).
        alreadyDone: async () => (attempts++ === 0 ? undefined : readMarker(ctx, markerKey)),
      },
    );
    return delivered(recipient, { ...done, mailboxId }, !done.committed);
  } catch (err) {
    if (err instanceof MailStoreError && err.code === 'OVERQUOTA') return { recipient, status: 'over-quota' };
    return { recipient, status: 'temporary-failure', reason: err instanceof Error ? err.message : String(err) };
  }
}

type MarkerHit = AppendCommitted & { mailboxId: string };

/** The marker, the user's META and its INBOX name item: one strongly consistent read of three base-table keys. */
async function readRecipient(
  ctx: StoreContext,
  userId: UserId,
  markerKey: { pk: string; sk: string },
): Promise<{ marker?: MarkerHit; user?: KvItem; inbox?: KvItem }> {
  const userKey = keys.user(userId);
  const inboxKey = keys.mailboxName(userId, 'INBOX');
  const items = await ctx.kv.batchGet('mail', [markerKey, userKey, inboxKey], { consistent: true });
  const find = (k: { pk: string; sk: string }): KvItem | undefined => items.find((i) => i.pk === k.pk && i.sk === k.sk);
  const marker = find(markerKey);
  return { marker: marker ? markerOf(marker) : undefined, user: find(userKey), inbox: find(inboxKey) };
}

async function readMarker(ctx: StoreContext, key: { pk: string; sk: string }): Promise<MarkerHit | undefined> {
  const item = await ctx.kv.get('mail', key, { consistent: true });
  return item ? markerOf(item) : undefined;
}

function markerOf(item: KvItem): MarkerHit {
  return {
    mailboxId: item.mailboxId as MailboxId,
    uid: item.uid as number,
    uidValidity: item.uidValidity as number,
    modseq: 0,
    committed: false,
  };
}

function delivered(recipient: string, hit: MarkerHit, duplicate: boolean): DeliveryOutcome {
  return { recipient, status: 'delivered', mailboxId: hit.mailboxId, uid: hit.uid, uidValidity: hit.uidValidity, duplicate };
}

/** A fixed-length key for any message id (SES ids, `<…@…>` Message-IDs, digests). */
export function markerHash(messageId: string): string {
  return createHash('sha256').update(messageId, 'utf8').digest('base64url').slice(0, 32);
}

/** The user META may carry `quotaBytes` / `quotaMessages` (issue 4 manages them); absent means unlimited. */
function quotaOf(user: KvItem): { bytes?: number; messages?: number } | undefined {
  const bytes = typeof user.quotaBytes === 'number' ? user.quotaBytes : undefined;
  const messages = typeof user.quotaMessages === 'number' ? user.quotaMessages : undefined;
  return bytes === undefined && messages === undefined ? undefined : { bytes, messages };
}

function wouldExceed(user: KvItem, limits: { bytes?: number; messages?: number } | undefined, size: number): boolean {
  if (!limits) return false;
  const usedBytes = (user.usageBytes as number | undefined) ?? 0;
  const usedMessages = (user.usageMessages as number | undefined) ?? 0;
  return (limits.bytes !== undefined && usedBytes + size > limits.bytes) || (limits.messages !== undefined && usedMessages + 1 > limits.messages);
}

/**
 * Return-Path (RFC 5321 §4.4), Delivered-To (as Postfix and Dovecot write it) and our Received stamp, in that order
 * on top, with the message's own line ending so the result stays consistent.
 */
export function traceHeaders(request: Pick<DeliveryRequest, 'sender' | 'trace'> & { raw: Uint8Array }, recipient: string, receivedAt: number): Buffer {
  const eol = lineEnding(request.raw);
  const t = request.trace;
  const from = clean(t.from) || 'unknown';
  const comment = t.remoteAddress ? ` ([${clean(t.remoteAddress)}])` : '';
  const received =
    `Received: from ${from}${comment}${eol}\tby ${clean(t.by ?? hostname())} (Stratus) with ${clean(t.protocol)}` +
    (t.id ? ` id ${clean(t.id)}` : '') +
    `${eol}\tfor <${clean(recipient)}>; ${rfc5322Date(receivedAt)}`;
  const lines = [`Return-Path: <${clean(request.sender)}>`, `Delivered-To: ${clean(recipient)}`, received];
  return Buffer.from(lines.join(eol) + eol, 'utf8');
}

/**
 * What an agent writes at the first recipient's final key (delivery-ops.ts): that recipient's trace headers, built
 * with the arrival time and host filled in, so that `deliver.message` rebuilds exactly the same bytes to check them.
 */
export function firstCopyHead(
  body: Uint8Array,
  request: { sender: string; recipients: string[]; trace: DeliveryTrace; receivedAt?: number },
): { head: Buffer; recipient: string; receivedAt: number; trace: DeliveryTrace } {
  const receivedAt = request.receivedAt ?? Date.now();
  const trace = { ...request.trace, by: request.trace.by ?? hostname() };
  const recipient = request.recipients[0] ?? '';
  return { head: traceHeaders({ raw: body, sender: request.sender, trace }, recipient, receivedAt), recipient, receivedAt, trace };
}

/** Header text from the wire: no control characters (no header injection), no angle brackets inside <…>. */
function clean(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\x00-\x1f\x7f<>]/g, '').trim();
}

function lineEnding(raw: Uint8Array): string {
  const lf = raw.indexOf(0x0a);
  return lf > 0 && raw[lf - 1] !== 0x0d ? '\n' : '\r\n';
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** RFC 5322 §3.3 date-time in UTC, e.g. "Tue, 04 Mar 2025 09:05:07 +0000". */
export function rfc5322Date(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return (
    `${DAYS[d.getUTCDay()]}, ${two(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`
  );
}
