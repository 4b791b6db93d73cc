// The MailStore API: typed, JSON-only requests and responses (DESIGN.md "The functions"). Protocol frontends talk
// to the store only through these shapes, via an invoker; Lambda handlers decode exactly these. Validated with zod at
// the function boundary, so nothing a frontend sends is trusted.
import { z } from 'zod';
import type { MessageIndex } from '../mime/types.js';
import type { MailStoreErrorCode } from './errors.js';

const path = z.string().min(1).max(512);
const uid = z.number().int().min(1).max(0xffffffff);
const uids = z.array(uid).max(100_000);
const flag = z.string().min(1).max(256);
const token = z.string().min(1).max(4096);
const mailboxId = z.string().min(1).max(64);
const emailId = z.string().min(1).max(64);

export const requestSchemas = {
  'auth.login': z.object({ login: z.string().min(1).max(320), password: z.string().max(1024) }),
  'mailbox.list': z.object({ token }),
  'mailbox.create': z.object({ token, path, specialUse: z.string().max(32).optional() }),
  'mailbox.delete': z.object({ token, path }),
  'mailbox.rename': z.object({ token, from: path, to: path }),
  'mailbox.subscribe': z.object({ token, path, subscribed: z.boolean() }),
  'mailbox.status': z.object({ token, path }),
  'mailbox.open': z.object({ token, path }),
  'mailbox.changes': z.object({ token, mailboxId, since: z.number().int().min(0) }),
  'message.prepareAppend': z.object({ token, size: z.number().int().min(0) }),
  'message.append': z.object({
    token,
    path,
    emailId,
    size: z.number().int().min(0),
    flags: z.array(flag).max(512),
    internalDate: z.number().int(),
  }),
  'message.store': z.object({
    token,
    mailboxId,
    uids,
    mode: z.enum(['add', 'remove', 'replace']),
    flags: z.array(flag).max(512),
    unchangedSince: z.number().int().min(0).optional(),
  }),
  'message.expunge': z.object({ token, mailboxId, uids }),
  'message.copy': z.object({ token, mailboxId, uids, to: path }),
  'message.meta': z.object({ token, emailIds: z.array(emailId).max(1000) }),
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
}

export type LogEntry =
  | { modseq: number; op: 'A'; by: string; added: HotList }
  | { modseq: number; op: 'F'; by: string; uids: number[]; flags: number[]; keywords: string[][] }
  | { modseq: number; op: 'X'; by: string; uids: number[] }
  | { modseq: number; op: 'N' | 'R' | 'D'; by: string };

export interface ResponseMap {
  'auth.login': { token: string; login: string; userId: string; tenantId: string };
  'mailbox.list': { mailboxes: MailboxListEntry[] };
  'mailbox.create': { mailboxId: string };
  'mailbox.delete': Record<string, never>;
  'mailbox.rename': Record<string, never>;
  'mailbox.subscribe': Record<string, never>;
  'mailbox.status': MailboxStatus;
  /** `blobPrefix`: where this mailbox's bodies live; the frontend reads byte ranges there itself. */
  'mailbox.open': { status: MailboxStatus; messages: HotList; blobPrefix: string };
  /** `resync`: the log no longer reaches back to `since` (a gap), reopen the mailbox. */
  'mailbox.changes': { status: MailboxStatus; entries: LogEntry[]; resync: boolean };
  /** Where to put the bytes before `message.append` (in AWS a presigned URL; here a blob key). */
  'message.prepareAppend': { emailId: string; blobKey: string };
  'message.append': { mailboxId: string; uid: number; uidValidity: number; modseq: number };
  'message.store': {
    modseq: number;
    changed: { uid: number; flags: number; keywords: string[]; modseq: number }[];
    /** UIDs left alone because their MODSEQ was above UNCHANGEDSINCE (RFC 7162 §3.1.3). */
    modified: number[];
  };
  'message.expunge': { modseq: number; expunged: number[] };
  /** UIDs in source order and their new UIDs in the destination (RFC 4315 COPYUID). */
  'message.copy': { uidValidity: number; source: number[]; destination: number[] };
  'message.meta': { items: Record<string, MessageIndex> };
}

export type ResponseOf<O extends Operation> = ResponseMap[O];

export type ErrorCode = MailStoreErrorCode;

export type Envelope<O extends Operation> =
  | { ok: true; result: ResponseOf<O> }
  | { ok: false; error: { code: ErrorCode; message: string } };
