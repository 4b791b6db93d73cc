// The MailStore API: typed, JSON-only requests and responses (DESIGN.md "The functions"). Protocol frontends talk
// to the store only through these shapes, via an invoker; Lambda handlers decode exactly these. Validated with zod at
// the function boundary, so nothing a frontend sends is trusted.
import { z } from 'zod';
import type { MessageIndex } from '../mime/types.js';
import type { MailStoreErrorCode } from './errors.js';
import { adminRequestSchemas, quotaRequestSchemas, type AdminResponseMap } from './tenants-api.js';
import type { DeliveryOutcome } from './delivery.js';
import { sharedRequestSchemas, type SharedResponseMap } from './acl-admin.js';

const path = z.string().min(1).max(512);
const uid = z.number().int().min(1).max(0xffffffff);
const uids = z.array(uid).max(100_000);
const flag = z.string().min(1).max(256);
const token = z.string().min(1).max(4096);
const mailboxId = z.string().min(1).max(64);
const emailId = z.string().min(1).max(64);
const searchValue = z.string().max(1024 * 1024);
/** A message's system flags (flags.ts bitmask) and MODSEQs, one per UID of a request. */
const flagBits = z.array(z.number().int().min(0).max(0xffff)).max(100_000);
const modseqs = z.array(z.number().int().min(0)).max(100_000);

export const requestSchemas = {
  'auth.login': z.object({ login: z.string().min(1).max(320), password: z.string().max(1024) }),
  /** SASL SCRAM-SHA-256 in two stateless steps; `state` is opaque and signed (src/auth/scram-stateless.ts). */
  'auth.scramStart': z.object({ clientFirst: z.string().min(1).max(4096) }),
  'auth.scramFinish': z.object({ state: z.string().min(1).max(8192), clientFinal: z.string().min(1).max(4096) }),
  /** SASL OAUTHBEARER (RFC 7628): a JWT bearer token, and the authzid the client named (src/mailstore/oauth-login.ts). */
  'auth.oauth': z.object({ token: z.string().min(1).max(16384), authzid: z.string().min(1).max(320).optional() }),
  'mailbox.list': z.object({ token }),
  'mailbox.create': z.object({ token, path, specialUse: z.string().max(32).optional() }),
  'mailbox.delete': z.object({ token, path }),
  'mailbox.rename': z.object({ token, from: path, to: path }),
  'mailbox.subscribe': z.object({ token, path, subscribed: z.boolean() }),
  /**
   * `unclaimed`: also count the messages no session has claimed as recent yet (src/mailstore/unclaimed.ts).
   * `mailboxId`: the id this path named when the frontend last asked; a hint the store checks on META (mailboxes.ts).
   */
  'mailbox.status': z.object({ token, path, unclaimed: z.boolean().optional(), mailboxId: mailboxId.optional() }),
  /**
   * `acceptSnapshot`: the caller reads the index snapshot itself (src/mailstore/snapshot-reader.ts), so a big
   * mailbox's hot items never pass through the function as JSON (6 MB Lambda payloads).
   */
  'mailbox.open': z.object({ token, path, acceptSnapshot: z.boolean().optional() }),
  /** SELECT of a mailbox the frontend has a snapshot of, as of `since` (src/mailstore/mailbox-cache.ts). */
  'mailbox.reopen': z.object({ token, path, mailboxId, since: z.number().int().min(0) }),
  'mailbox.changes': z.object({ token, mailboxId, since: z.number().int().min(0) }),
  /** Acquire or refresh (or, with release, give up) the caller session's exclusive lease on a mailbox. */
  'mailbox.lease': z.object({ token, path, ttlSeconds: z.number().int().min(1).max(3600), release: z.boolean().optional() }),
  /** Claim \Recent (rev1) for UIDs below `upTo` that no session claimed yet (src/mailstore/recent.ts). */
  'mailbox.claimRecent': z.object({ token, mailboxId, upTo: z.number().int().min(1).max(0x100000000) }),
  'message.prepareAppend': z.object({ token, size: z.number().int().min(0) }),
  'message.append': z.object({
    token,
    path,
    emailId,
    size: z.number().int().min(0),
    flags: z.array(flag).max(512),
    internalDate: z.number().int(),
    /** The id `path` named when the frontend last asked: a hint the commit checks on META (messages.ts), as STATUS's. */
    mailboxId: mailboxId.optional(),
    /** MULTIAPPEND (RFC 3502): further messages committed in the same transaction, after the first (≤ 95 in all). */
    more: z
      .array(z.object({ emailId, size: z.number().int().min(0), flags: z.array(flag).max(512), internalDate: z.number().int() }))
      .max(94)
      .optional(),
  }),
  'message.store': z.object({
    token,
    mailboxId,
    uids,
    mode: z.enum(['add', 'remove', 'replace']),
    flags: z.array(flag).max(512),
    unchangedSince: z.number().int().min(0).optional(),
    /** What the frontend holds for each of `uids` (same order): the first plan starts from it, checked by the commit. */
    known: z.object({ flags: flagBits, keywords: z.array(z.array(flag).max(512)).max(100_000), modseqs }).optional(),
  }),
  /** `known` as for message.store, plus each message's size and emailId (store-expunge.ts). */
  'message.expunge': z.object({
    token,
    mailboxId,
    uids,
    known: z.object({ flags: flagBits, modseqs, sizes: z.array(z.number().int().min(0)).max(100_000), emailIds: z.array(emailId).max(100_000) }).optional(),
  }),
  'message.copy': z.object({ token, mailboxId, uids, to: path }),
  /** MOVE (RFC 6851): ≤48 messages per two-mailbox transaction (src/mailstore/move.ts). */
  'message.move': z.object({ token, mailboxId, uids, to: path }),
  'message.meta': z.object({ token, emailIds: z.array(emailId).max(1000) }),
  /** SEARCH text keys over the mailbox's search segments (src/mailstore/search-segments.ts). */
  // A search string can be as long as a literal (STRATUS_MAX_LITERAL_BYTES, 64 KiB by default); 1 MiB only keeps a
  // request well inside Lambda's payload limit.
  'message.searchText': z.object({
    token,
    mailboxId,
    keys: z
      .array(
        z.union([
          z.object({ kind: z.literal('header'), field: z.string().min(1).max(256), value: searchValue }),
          z.object({ kind: z.literal('body'), value: searchValue }),
          z.object({ kind: z.literal('text'), value: searchValue }),
        ]),
      )
      .min(1)
      .max(64),
  }),
  'message.bodyUrl': z.object({ token, blobPrefix: z.string().min(1).max(512), emailId }),
  /** Delivery (issue 6): only a delivery agent's token (src/mailstore/delivery-agent.ts) is accepted. */
  'deliver.prepare': z.object({
    token,
    size: z.number().int().min(0),
    /** The first recipient and the length of its trace headers: its copy may go straight to its final key. */
    stage: z.object({ recipient: z.string().min(1).max(320), headBytes: z.number().int().min(0).max(65_536) }).optional(),
  }),
  'deliver.resolve': z.object({ token, addresses: z.array(z.string().min(1).max(320)).min(1).max(1000) }),
  'deliver.message': z.object({
    token,
    stagingKey: z.string().min(1).max(128),
    size: z.number().int().min(0),
    sender: z.string().max(320),
    recipients: z.array(z.string().min(1).max(320)).min(1).max(1000),
    messageId: z.string().min(1).max(1024).optional(),
    trace: z.object({
      protocol: z.string().min(1).max(32),
      from: z.string().max(255),
      remoteAddress: z.string().max(64).optional(),
      by: z.string().max(255).optional(),
      id: z.string().max(255).optional(),
    }),
    receivedAt: z.number().int().optional(),
    /** From `deliver.prepare`: `stagingKey` is the first recipient's copy (delivery-ticket.ts). */
    ticket: z.string().min(1).max(2048).optional(),
  }),
  /** ACL (RFC 4314 §3, src/mailstore/acl-store.ts); `path` in any namespace (RFC 2342). */
  'acl.set': z.object({ token, path, identifier: z.string().min(1).max(320), rights: z.string().max(64) }),
  'acl.delete': z.object({ token, path, identifier: z.string().min(1).max(320) }),
  'acl.get': z.object({ token, path }),
  'acl.listRights': z.object({ token, path, identifier: z.string().min(1).max(320) }),
  'acl.myRights': z.object({ token, path }),
  // Shared mailboxes and their ACLs for the admin API (src/mailstore/acl-admin.ts).
  ...sharedRequestSchemas,
  // Tenancy administration and QUOTA (src/mailstore/tenants-api.ts).
  ...adminRequestSchemas,
  ...quotaRequestSchemas,
} as const;

export type Operation = keyof typeof requestSchemas;
export type RequestOf<O extends Operation> = z.infer<(typeof requestSchemas)[O]>;

export interface MailboxListEntry {
  path: string;
  mailboxId: string | null; // null: subscribed but not existing (LSUB shows it)
  specialUse: string | null;
  subscribed: boolean;
}

export interface MailboxStatus {
  mailboxId: string;
  path: string;
  uidValidity: number;
  uidNext: number;
  highestModseq: number;
  messages: number;
  unseen: number;
  deleted: number;
  bytes: number;
  keywords: string[];
  specialUse: string | null;
  /** Messages no session has claimed as recent yet (`mailbox.claimRecent`); only when `mailbox.status` asked for it. */
  unclaimed?: number;
}

/** The hot items of a mailbox, column-wise (compact in JSON, and the shape of the frontend's typed arrays). */
export interface HotList {
  uids: number[];
  flags: number[]; // system-flag bitmask, see mailstore/flags.ts
  keywords: string[][];
  modseqs: number[];
  sizes: number[];
  dates: number[]; // internal date, ms since epoch
  emailIds: string[];
  /** RFC 8514 save date, ms since epoch; 0 where unknown (stored before save dates were kept). Absent: all unknown. */
  saveDates?: number[];
}

/** Where an index snapshot is (src/mailstore/snapshots.ts) and the change log after it. */
export interface IndexSnapshotRef {
  key: string;
  modseq: number;
  url?: string;
  entries: LogEntry[];
}

export type LogEntry =
  | { modseq: number; op: 'A'; by: string; added: HotList }
  | { modseq: number; op: 'F'; by: string; uids: number[]; flags: number[]; keywords: string[][] }
  | { modseq: number; op: 'X'; by: string; uids: number[] }
  | { modseq: number; op: 'N' | 'R' | 'D'; by: string };

/**
 * What a write of the caller did to one mailbox, as `mailbox.changes` would give it: the log entries of its commits,
 * dense, the last at `status.highestModseq` (absent when another writer committed between them). The frontend's
 * mailbox cache takes it in without reading the log when it stands exactly before the first (mailbox-cache.ts).
 */
export interface OwnChange {
  entries: LogEntry[];
  status: MailboxStatus;
}

export interface ResponseMap extends AdminResponseMap, SharedResponseMap {
  'auth.login': { token: string; login: string; userId: string; tenantId: string };
  'auth.scramStart': { serverFirst: string; state: string };
  /** `serverFinal` ("v=…") proves the server knew the secret; send it to the client before success. */
  'auth.scramFinish': { token: string; login: string; userId: string; tenantId: string; serverFinal: string };
  'auth.oauth': { token: string; login: string; userId: string; tenantId: string };
  'mailbox.list': { mailboxes: MailboxListEntry[] };
  'mailbox.create': { mailboxId: string };
  'mailbox.delete': Record<string, never>;
  'mailbox.rename': Record<string, never>;
  'mailbox.subscribe': Record<string, never>;
  'mailbox.status': MailboxStatus;
  /** `blobPrefix`: where this mailbox's bodies live; the frontend reads byte ranges there itself. */
  'mailbox.open': {
    status: MailboxStatus;
    messages: HotList;
    blobPrefix: string;
    rights?: string;
    /**
     * Only when the request accepted it: `messages` is empty and the mailbox is the snapshot at `modseq` (read from
     * `key` in the blob store, or `url` when the store issues presigned URLs) with `entries` (the log after it) applied.
     */
    snapshot?: IndexSnapshotRef;
  };
  /** `messages` present: the path names another mailbox now, or the log no longer reaches back; else `entries`. */
  'mailbox.reopen': { status: MailboxStatus; entries: LogEntry[]; messages?: HotList; blobPrefix: string; rights?: string };
  /** `resync`: the log no longer reaches back to `since` (a gap), reopen the mailbox. */
  'mailbox.changes': { status: MailboxStatus; entries: LogEntry[]; resync: boolean };
  /** `acquired: false`: another session holds an unexpired lease (or, on release, this one held none). */
  'mailbox.lease': { mailboxId: string; acquired: boolean; expiresAt: number };
  /** UIDs in [from, to) are recent for the calling session alone (empty when from = to). */
  'mailbox.claimRecent': { from: number; to: number };
  /** Where to put the bytes before `message.append` (in AWS a presigned URL; here a blob key). */
  'message.prepareAppend': { emailId: string; blobKey: string; uploadUrl?: string };
  /** `uids`: the UIDs of the first and of the `more` messages, in order (`uid` is the first). */
  /**
   * `change`: what this commit did to the mailbox, as `mailbox.changes` would give it (its log entry and the status
   * after it), so the appending session takes its own message in without reading the log (src/imap/commands/append.ts).
   */
  'message.append': {
    mailboxId: string;
    uid: number;
    uids: number[];
    uidValidity: number;
    modseq: number;
    change?: { entry: LogEntry; status: MailboxStatus };
  };
  'message.store': {
    modseq: number;
    changed: { uid: number; flags: number; keywords: string[]; modseq: number }[];
    /** UIDs left alone because their MODSEQ was above UNCHANGEDSINCE (RFC 7162 §3.1.3). */
    modified: number[];
    change?: OwnChange;
  };
  'message.expunge': { modseq: number; expunged: number[]; change?: OwnChange };
  /** UIDs in source order and their new UIDs in the destination (RFC 4315 COPYUID). */
  /** `change`: the destination's OwnChange, when its commits are dense. */
  'message.copy': { uidValidity: number; source: number[]; destination: number[]; change?: OwnChange };
  /** As message.copy; the source UIDs are gone from the source, whose last commit was at `sourceModseq` (0: none). */
  'message.move': {
    uidValidity: number;
    source: number[];
    destination: number[];
    sourceModseq: number;
    /** The source's and the destination's OwnChange (src/mailstore/move.ts), when each is dense. */
    sourceChange?: OwnChange;
    destinationChange?: OwnChange;
  };
  'message.meta': { items: Record<string, MessageIndex> };
  /** Per key, in order: the matching UIDs ≤ `upTo` (META's uidNext − 1 when read: every message, sealed or not). */
  'message.searchText': { upTo: number; uids: number[][] };
  /** A short-lived GET URL for one message's bytes (only when the store issues presigned URLs). */
  'message.bodyUrl': { url: string };
  /**
   * Where to put the bytes before `deliver.message`: a blob key under `in/`, or (with `ticket`) the first
   * recipient's message key, where its trace headers + the bytes go (through `uploadUrl` when given).
   */
  'deliver.prepare': { stagingKey: string; ticket?: string; uploadUrl?: string };
  /** Per address, in order: whether it delivers to a user (a login or an alias). */
  'deliver.resolve': { known: boolean[] };
  /** One outcome per recipient, in order. */
  'deliver.message': { outcomes: DeliveryOutcome[] };
  'acl.set': Record<string, never>;
  'acl.delete': Record<string, never>;
  /** The owner first (every right), then the stored entries; rights with the virtual c and d (RFC 4314 §2.1.1). */
  'acl.get': { path: string; entries: { identifier: string; rights: string }[] };
  'acl.listRights': { path: string; identifier: string; required: string; optional: string[] };
  'acl.myRights': { path: string; rights: string };
}

export type ResponseOf<O extends Operation> = ResponseMap[O];

export type ErrorCode = MailStoreErrorCode;

export type Envelope<O extends Operation> =
  | { ok: true; result: ResponseOf<O> }
  | { ok: false; error: { code: ErrorCode; message: string } };
