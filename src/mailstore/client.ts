// The MailStore client: what protocol frontends hold. Typed methods over an invoker, plus direct streaming of
// message bytes to and from the blob store (bytes never pass through a function; DESIGN.md "The functions").
import type { Readable } from 'node:stream';
import type { BlobStore, ByteRange } from '../storage/blob.js';
import type { IndexSnapshotRef, Operation, RequestOf, ResponseOf } from './api.js';
import { applyEntriesToColumns, type HotColumns } from './hot-columns.js';
import { decodeSnapshot } from './index-snapshot.js';
import { readBlob } from './snapshots.js';
import { MailStoreError } from './errors.js';
import type { Invoker } from './invoker.js';
import { getFromUrl, putToUrl } from './http-body.js';
import { firstCopyHead } from './delivery.js';
import { isTransient } from '../storage/retrying.js';
import { readWhole, type BlobBytes } from '../storage/blob.js';

/** A blob call that kept failing after its retries becomes the store's UNAVAILABLE, as a function's would. */
async function blobCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (isTransient(err)) throw new MailStoreError('UNAVAILABLE', 'Mail store unavailable, try again later');
    throw err;
  }
}

export class MailStoreClient {
  constructor(
    private readonly invoker: Invoker,
    private readonly blob: BlobStore,
    /** AWS: message bytes only through presigned URLs the functions issue (the frontend has no S3 access). */
    private readonly options: { bodyUrls?: boolean } = {},
  ) {}

  /** Calls one operation; a failure envelope becomes a thrown MailStoreError. */
  async call<O extends Operation>(op: O, request: RequestOf<O>): Promise<ResponseOf<O>> {
    const envelope = await this.invoker.invoke(op, request);
    if (!envelope.ok) throw new MailStoreError(envelope.error.code, envelope.error.message);
    return envelope.result;
  }

  login(login: string, password: string): Promise<ResponseOf<'auth.login'>> {
    return this.call('auth.login', { login, password });
  }

  /**
   * APPEND: streams `length` bytes to the blob store, then asks the store to commit them. A stream that ends short
   * or fails (a client that disconnects mid-literal) leaves no visible message.
   */
  async append(
    token: string,
    path: string,
    body: Readable,
    length: number,
    flags: string[],
    internalDate: number,
  ): Promise<ResponseOf<'message.append'>> {
    const { emailId, blobKey, uploadUrl } = await this.call('message.prepareAppend', { token, size: length });
    if (uploadUrl !== undefined) await putToUrl(uploadUrl, body, length);
    else await blobCall(() => this.blob.put(blobKey, body, length));
    return this.call('message.append', { token, path, emailId, size: length, flags, internalDate });
  }

  /**
   * MULTIAPPEND (RFC 3502), step 1 per message: streams `length` bytes to the blob store (or puts them, when the
   * caller holds a small message whole); nothing is visible yet.
   */
  async stage(token: string, body: Readable | Uint8Array, length: number): Promise<string> {
    const { emailId, blobKey, uploadUrl } = await this.call('message.prepareAppend', { token, size: length });
    if (uploadUrl !== undefined) await putToUrl(uploadUrl, body, length);
    else await blobCall(() => this.blob.put(blobKey, body, length));
    return emailId;
  }

  /**
   * MULTIAPPEND step 2: commits every staged message in ONE transaction (all or nothing, ≤ 95 messages).
   * `mailboxId`: the id `path` named last time (a hint the store checks; it saves the name read).
   */
  appendStaged(
    token: string,
    path: string,
    messages: readonly { emailId: string; size: number; flags: string[]; internalDate: number }[],
    mailboxId?: string,
  ): Promise<ResponseOf<'message.append'>> {
    const [first, ...more] = messages;
    if (!first) throw new MailStoreError('BADREQUEST', 'No message to append');
    const hint = mailboxId === undefined ? {} : { mailboxId };
    return this.call('message.append', { token, path, ...first, ...hint, ...(more.length > 0 ? { more } : {}) });
  }

  /**
   * Delivery (LMTP): stages the bytes in the blob store, then asks the store to deliver them to every recipient.
   * `token` is a delivery agent's (src/mailstore/delivery-agent.ts), not a user's.
   */
  async deliver(
    token: string,
    body: Uint8Array,
    request: Omit<RequestOf<'deliver.message'>, 'token' | 'stagingKey' | 'size' | 'ticket'>,
  ): Promise<ResponseOf<'deliver.message'>> {
    // The first recipient's copy goes straight to its final key when the store allows it (delivery-ops.ts).
    const first = firstCopyHead(body, request);
    const stage = { recipient: first.recipient, headBytes: first.head.length };
    const { stagingKey, ticket, uploadUrl } = await this.call('deliver.prepare', { token, size: body.byteLength, stage });
    const bytes = ticket !== undefined ? Buffer.concat([first.head, body]) : body;
    if (uploadUrl !== undefined) await putToUrl(uploadUrl, bytes, bytes.byteLength);
    else await blobCall(() => this.blob.put(stagingKey, bytes, bytes.byteLength));
    const arrival = { trace: first.trace, receivedAt: first.receivedAt, ...(ticket !== undefined ? { ticket } : {}) };
    return this.call('deliver.message', { ...request, ...arrival, token, stagingKey, size: body.byteLength });
  }

  /**
   * The mailbox an accepted index snapshot describes (`mailbox.open` with `acceptSnapshot`): one blob GET, decoded
   * into typed-array columns, then the log after it. Throws BlobNotFoundError when the snapshot is gone meanwhile.
   */
  async readIndexSnapshot(ref: IndexSnapshotRef): Promise<HotColumns> {
    const body = ref.url !== undefined ? await getFromUrl(ref.url) : await blobCall(() => this.blob.get(ref.key));
    const { columns } = decodeSnapshot(await readBlob(body));
    applyEntriesToColumns(columns, ref.entries);
    return columns;
  }

  /** Streams a message's bytes, or a byte range of them, from where `mailbox.open` said the mailbox's bodies live. */
  openBody(token: string, blobPrefix: string, emailId: string, range?: ByteRange): Promise<Readable> {
    // The token is required so that no caller can forget it: in AWS bodies are read only through presigned URLs.
    if (this.options.bodyUrls) return this.openBodyByUrl(token, blobPrefix, emailId, range);
    return blobCall(() => this.blob.get(`${blobPrefix}m/${emailId}.eml`, range));
  }

  /**
   * A message's bytes, or a byte range of them, in memory: for bodies short enough to hold (FETCH of an ordinary
   * message), where a stream would cost more than the bytes. The blob store's `getBytes` when it offers one
   * (src/storage/blob.ts BlobBytes), else its stream read whole; the same one GET either way.
   */
  readBody(token: string, blobPrefix: string, emailId: string, range?: ByteRange): Promise<Buffer> {
    if (this.options.bodyUrls) return this.openBodyByUrl(token, blobPrefix, emailId, range).then(readWhole);
    const key = `${blobPrefix}m/${emailId}.eml`;
    const blob = this.blob as BlobStore & Partial<BlobBytes>;
    if (blob.getBytes !== undefined) return blobCall(() => blob.getBytes!(key, range));
    return blobCall(async () => readWhole(await blob.get(key, range)));
  }

  private async openBodyByUrl(token: string, blobPrefix: string, emailId: string, range?: ByteRange): Promise<Readable> {
    const { url } = await this.call('message.bodyUrl', { token, blobPrefix, emailId });
    return getFromUrl(url, range);
  }
}
