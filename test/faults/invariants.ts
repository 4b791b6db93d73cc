// A small invariant check of one user's mail, read straight from the ports (storage-design I1–I5 as far as counters
// and the change log go): META counters agree with the hot items, UIDs below uidNext, MODSEQs at most HIGHESTMODSEQ,
// the change log dense up to META.modseq, usage = sum of mailboxes, every hot item's bytes present, and, in mailboxes
// that only APPEND fills (COPY may legitimately copy a message twice), no emailId twice: an APPEND applied twice would
// show exactly that. Used by test/faults and bench/soak.ts.
import type { BlobStore } from '../../src/storage/blob.js';
import type { KvItem, KvStore } from '../../src/storage/kv.js';
import { FLAG_DELETED, FLAG_SEEN } from '../../src/mailstore/flags.js';
import { blobKeys, keys } from '../../src/mailstore/keys.js';
import type { EmailId, MailboxId, TenantId, UserId } from '../../src/mailstore/ids.js';

async function all(kv: KvStore, pk: string, prefix: string): Promise<KvItem[]> {
  const out: KvItem[] = [];
  let cursor: string | undefined;
  do {
    const page = await kv.query('mail', { pk, sk: { beginsWith: prefix }, cursor, consistent: true });
    out.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  return out;
}

export interface InvariantReport {
  mailboxes: number;
  messages: number;
  violations: string[];
}

export interface CheckOptions {
  /** Also check that every message's bytes exist. */
  blob?: BlobStore;
  /** Mailboxes filled only by APPEND, where one emailId twice means a write applied twice; default INBOX. */
  appendOnly?: string[];
}

export async function checkUser(kv: KvStore, userId: string, options: CheckOptions = {}): Promise<InvariantReport> {
  const { blob, appendOnly = ['INBOX'] } = options;
  const violations: string[] = [];
  const names = await all(kv, `U#${userId}`, 'N#');
  let usageBytes = 0;
  let usageMessages = 0;
  let messages = 0;
  for (const name of names) {
    const mailboxId = name.mailboxId as MailboxId;
    const where = `${name.sk.slice(2)} (${mailboxId})`;
    const meta = await kv.get('mail', keys.mailbox(mailboxId), { consistent: true });
    if (!meta) {
      violations.push(`${where}: name without META`);
      continue;
    }
    if (meta.state !== 'active') continue;
    const hot = await all(kv, `M#${mailboxId}`, 'U#');
    const log = await all(kv, `M#${mailboxId}`, 'L#');
    let unseen = 0;
    let deleted = 0;
    let bytes = 0;
    let maxUid = 0;
    const emails = new Set<string>();
    for (const item of hot) {
      const f = item.f as number;
      if (!(f & FLAG_SEEN)) unseen += 1;
      if (f & FLAG_DELETED) deleted += 1;
      bytes += item.z as number;
      maxUid = Math.max(maxUid, Number(item.sk.slice(2)));
      if ((item.m as number) > (meta.modseq as number)) violations.push(`${where}: ${item.sk} modseq ${String(item.m)} > HIGHESTMODSEQ ${String(meta.modseq)}`);
      if (appendOnly.includes(name.sk.slice(2)) && emails.has(item.e as string)) violations.push(`${where}: emailId ${String(item.e)} appears twice (a write applied twice)`);
      emails.add(item.e as string);
      if (blob) {
        const key = blobKeys.message(meta.tenant as TenantId, meta.owner as UserId, item.e as EmailId);
        if (!(await blob.head(key))) violations.push(`${where}: ${item.sk} has no bytes at ${key}`);
      }
    }
    const expect: [string, number, number][] = [
      ['messages', meta.messages as number, hot.length],
      ['unseen', meta.unseen as number, unseen],
      ['deleted', meta.deleted as number, deleted],
      ['bytes', meta.bytes as number, bytes],
    ];
    for (const [counter, stored, counted] of expect) {
      if (stored !== counted) violations.push(`${where}: META.${counter} = ${stored}, items say ${counted}`);
    }
    if (maxUid >= (meta.uidNext as number)) violations.push(`${where}: UID ${maxUid} ≥ uidNext ${String(meta.uidNext)}`);
    const logModseqs = log.map((item) => Number(item.sk.slice(2))).sort((a, b) => a - b);
    const last = logModseqs.at(-1);
    if (last !== undefined && last !== meta.modseq) violations.push(`${where}: last log entry ${last} ≠ HIGHESTMODSEQ ${String(meta.modseq)}`);
    for (let i = 1; i < logModseqs.length; i++) {
      if (logModseqs[i] !== logModseqs[i - 1]! + 1) violations.push(`${where}: change log gap after ${logModseqs[i - 1]}`);
    }
    usageBytes += bytes;
    usageMessages += hot.length;
    messages += hot.length;
  }
  const user = await kv.get('mail', keys.user(userId as UserId), { consistent: true });
  if (user && ((user.usageBytes as number) !== usageBytes || (user.usageMessages as number) !== usageMessages)) {
    violations.push(`usage says ${String(user.usageBytes)} bytes / ${String(user.usageMessages)} messages, mailboxes ${usageBytes} / ${usageMessages}`);
  }
  return { mailboxes: names.length, messages, violations };
}
