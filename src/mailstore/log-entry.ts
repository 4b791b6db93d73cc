// A change-log item (`L#<modseq>`) and a mailbox's META as the API gives them: the LogEntry `mailbox.changes` reads
// back and the MailboxStatus beside it. Kept apart from mailboxes.ts so that the commit path (commit.ts), which wrote
// the item, can hand the same entry to the change hint without importing the mailbox operations built on it.
import type { KvItem } from '../storage/kv.js';
import type { LogEntry, MailboxStatus } from './api.js';
import type { MailboxMeta } from './commit.js';

export function statusOf(meta: MailboxMeta): MailboxStatus {
  return {
    mailboxId: meta.mailboxId,
    path: meta.path,
    uidValidity: meta.uidValidity,
    uidNext: meta.uidNext,
    highestModseq: meta.modseq,
    messages: meta.messages,
    unseen: meta.unseen,
    deleted: meta.deleted,
    bytes: meta.bytes,
    keywords: meta.keywords,
    specialUse: meta.specialUse,
  };
}

/** The log item as `mailbox.changes` answers it (sort key `L#<modseq>`, payload as commit.ts wrote it). */
export function entryOf(item: KvItem): LogEntry {
  const modseq = Number(item.sk.slice(2));
  const by = item.by as string;
  switch (item.op) {
    case 'A':
      return {
        modseq,
        op: 'A',
        by,
        added: {
          uids: item.u as number[],
          flags: item.f as number[],
          keywords: item.k as string[][],
          modseqs: (item.u as number[]).map(() => modseq),
          sizes: item.z as number[],
          dates: item.d as number[],
          emailIds: item.e as string[],
          saveDates: (item.s as number[] | undefined) ?? (item.u as number[]).map(() => 0),
        },
      };
    case 'F':
      return { modseq, op: 'F', by, uids: item.u as number[], flags: item.f as number[], keywords: item.k as string[][] };
    case 'X':
      return { modseq, op: 'X', by, uids: item.u as number[] };
    default:
      return { modseq, op: item.op as 'N' | 'R' | 'D', by };
  }
}
