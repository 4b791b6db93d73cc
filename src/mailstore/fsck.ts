// `stratus fsck`: checks the storage invariants of storage-design §A8 for each mailbox of the users in a scope, and
// repairs what can be repaired without touching anything a client can see:
//   I2  the change log is dense up to META.modseq (truncated only from the front), nothing beyond it;
//   I3  every hot item's UID < uidNext and its modseq ≤ META.modseq; its cold item and blob exist;
//   I4  META counters (messages, unseen, deleted, bytes) = the sum over the hot items;
//   I5  the user's usage (bytes, messages, mailboxes) = the sum over the user's mailboxes;
//   I7  no blob outlives its references by more than the grace period (orphans are GC's, gc.ts).
// A mailbox is read between two strong reads of its META; if its modseq moved, the read is repeated, so a live
// system does not show false violations. Repairs are conditional on the modseq (or usage) that was read.
import { Buffer } from 'node:buffer';
import type { KvItem, TxAction } from '../storage/kv.js';
import type { StoreContext } from './context.js';
import { FLAG_DELETED, FLAG_SEEN } from './flags.js';
import { emailIdOfBlob, listAllBlobs, sweepUser } from './gc.js';
import type { EmailId, MailboxId, TenantId, UserId } from './ids.js';
import { blobKeys, keys, uidFromSortKey } from './keys.js';
import { createMailbox } from './mailboxes.js';
import { coldParts, putColdItem } from './messages.js';
import { resolveThreads } from './thread-ids.js';
import { queryAll } from './query-all.js';
import { danglingSegments, dropDirectory } from './search-gc.js';
import { usersInScope, type ScopedUser, type UserScope } from './user-scope.js';
import { ConditionFailedError } from '../storage/errors.js';

export type ViolationKind =
  | 'counters' // I4
  | 'uid-beyond-next' // I3
  | 'modseq-ahead' // I3
  | 'log-gap' // I2
  | 'log-ahead' // I2
  | 'missing-cold'
  | 'missing-blob'
  | 'dangling-name' // a name whose mailbox is gone or not the user's
  | 'no-inbox'
  | 'usage' // I5
  | 'orphan-blob' // I7
  | 'dangling-segment' // a search-segment directory names a blob that is gone (search-gc.ts)
  | 'orphan-segment' // a search segment no directory names, older than the grace period
  | 'busy'; // kept changing while read: not checked this time

export interface Violation {
  kind: ViolationKind;
  login: string;
  userId: string;
  mailbox?: string;
  detail: string;
  repairable: boolean;
  repaired?: boolean;
}

export interface FsckOptions {
  repair?: boolean;
  /** Orphaned blobs younger than this are not reported (an APPEND may still commit them); default 24 h. */
  graceMs?: number;
  now?: number;
}

export interface FsckReport {
  users: number;
  mailboxes: number;
  messages: number;
  violations: Violation[];
}

const STABLE_READ_ATTEMPTS = 5;

interface Counters {
  messages: number;
  unseen: number;
  deleted: number;
  bytes: number;
}

const COUNTERS = ['messages', 'unseen', 'deleted', 'bytes'] as const;

/** One mailbox read between two equal strong reads of its META. */
interface MailboxRead {
  path: string;
  mailboxId: MailboxId;
  meta: KvItem;
  hot: KvItem[];
  log: number[];
}

async function readMailboxStable(ctx: StoreContext, mailboxId: MailboxId, path: string): Promise<MailboxRead | 'gone' | 'busy'> {
  for (let attempt = 0; attempt < STABLE_READ_ATTEMPTS; attempt++) {
    const meta = await ctx.kv.get('mail', keys.mailbox(mailboxId), { consistent: true });
    if (!meta || meta.state !== 'active') return 'gone';
    const hot = await queryAll(ctx, `M#${mailboxId}`, 'U#');
    const log = (await queryAll(ctx, `M#${mailboxId}`, 'L#')).map((i) => Number(i.sk.slice(2)));
    const again = await ctx.kv.get('mail', keys.mailbox(mailboxId), { consistent: true });
    if (again && again.modseq === meta.modseq && again.state === 'active') return { path, mailboxId, meta, hot, log };
  }
  return 'busy';
}

function countersOfHot(hot: KvItem[]): Counters {
  const c: Counters = { messages: 0, unseen: 0, deleted: 0, bytes: 0 };
  for (const item of hot) {
    const f = item.f as number;
    c.messages++;
    if (!(f & FLAG_SEEN)) c.unseen++;
    if (f & FLAG_DELETED) c.deleted++;
    c.bytes += item.z as number;
  }
  return c;
}

const show = (c: Partial<Record<string, unknown>>, names: readonly string[]): string => names.map((n) => `${n}=${String(c[n])}`).join(' ');

class UserCheck {
  readonly violations: Violation[] = [];
  mailboxes = 0;
  messages = 0;

  constructor(
    private readonly ctx: StoreContext,
    private readonly user: ScopedUser,
    private readonly options: FsckOptions,
  ) {}

  private add(v: Omit<Violation, 'login' | 'userId'>): Violation {
    const full: Violation = { login: this.user.login, userId: this.user.userId, ...v };
    this.violations.push(full);
    return full;
  }

  async run(): Promise<void> {
    const { ctx, user } = this;
    const names = await queryAll(ctx, `U#${user.userId}`, 'N#');
    if (!user.sharedOwner && !names.some((n) => n.sk === 'N#INBOX')) {
      const v = this.add({ kind: 'no-inbox', detail: 'the user has no INBOX (a RENAME INBOX cut short?)', repairable: true });
      if (this.options.repair) {
        await createMailbox(ctx, { tenantId: user.tenantId, userId: user.userId, login: user.login, session: 'fsck' }, 'INBOX');
        v.repaired = true;
      }
    }
    const blobs = new Set<string>();
    for (const entry of await listAllBlobs(ctx, blobKeys.messagesPrefix(user.tenantId, user.userId))) {
      const e = emailIdOfBlob(entry.key);
      if (e) blobs.add(e);
    }
    for (const name of names) {
      const path = name.sk.slice(2);
      const read = await readMailboxStable(ctx, name.mailboxId as MailboxId, path);
      if (read === 'gone') {
        this.add({ kind: 'dangling-name', mailbox: path, detail: `names mailbox ${String(name.mailboxId)}, which does not exist`, repairable: false });
        continue;
      }
      if (read === 'busy') {
        this.add({ kind: 'busy', mailbox: path, detail: 'kept changing while read; not checked', repairable: false });
        continue;
      }
      if (read.meta.owner !== user.userId) {
        this.add({ kind: 'dangling-name', mailbox: path, detail: `names a mailbox owned by ${String(read.meta.owner)}`, repairable: false });
        continue;
      }
      this.mailboxes++;
      this.messages += read.hot.length;
      await this.checkMailbox(read, blobs);
    }
    await this.checkUsage(names);
    await this.checkOrphans();
  }

  private async checkMailbox(read: MailboxRead, blobs: Set<string>): Promise<void> {
    const { meta, hot, log, path } = read;
    const modseq = meta.modseq as number;
    const uidNext = meta.uidNext as number;
    const actual = countersOfHot(hot);
    if (COUNTERS.some((n) => meta[n] !== actual[n])) {
      const v = this.add({
        kind: 'counters',
        mailbox: path,
        detail: `META says ${show(meta, COUNTERS)}, the hot items ${show(actual as unknown as Record<string, number>, COUNTERS)}`,
        repairable: true,
      });
      if (this.options.repair) v.repaired = await this.repairCounters(read.mailboxId, modseq, actual);
    }
    for (const item of hot) {
      const uid = uidFromSortKey(item.sk);
      if (uid >= uidNext) this.add({ kind: 'uid-beyond-next', mailbox: path, detail: `UID ${uid} ≥ uidNext ${uidNext}`, repairable: false });
      if ((item.m as number) > modseq) {
        this.add({ kind: 'modseq-ahead', mailbox: path, detail: `UID ${uid} has modseq ${String(item.m)} > META ${modseq}`, repairable: false });
      }
    }
    // I2: dense up to modseq; entries may be missing only from the front (truncation), never in the middle.
    const sorted = [...log].sort((a, b) => a - b);
    const ahead = sorted.filter((m) => m > modseq);
    if (ahead.length > 0) this.add({ kind: 'log-ahead', mailbox: path, detail: `log items beyond modseq ${modseq}: ${ahead.join(',')}`, repairable: false });
    const upTo = sorted.filter((m) => m <= modseq);
    const first = upTo[0];
    if (first === undefined || upTo.length !== modseq - first + 1 || upTo[upTo.length - 1] !== modseq) {
      this.add({ kind: 'log-gap', mailbox: path, detail: `log holds ${upTo.length} items from ${String(first)} for modseq ${modseq}`, repairable: false });
    }
    await this.checkBodies(read, blobs);
    await this.checkSegments(read);
  }

  /** Search segments: a directory entry without its blob would hide messages from SEARCH (search-gc.ts). */
  private async checkSegments(read: MailboxRead): Promise<void> {
    const owner = { tenantId: this.user.tenantId as TenantId, userId: this.user.userId as UserId };
    const { version, missing } = await danglingSegments(this.ctx, owner, read.mailboxId);
    if (missing.length === 0) return;
    const v = this.add({
      kind: 'dangling-segment',
      mailbox: read.path,
      detail: `the search-segment directory names ${missing.length} missing segment(s): ${missing.join(', ')}`,
      repairable: true,
    });
    if (this.options.repair) v.repaired = await dropDirectory(this.ctx, read.mailboxId, version);
  }

  private async checkBodies(read: MailboxRead, blobs: Set<string>): Promise<void> {
    const { ctx } = this;
    const wanted = [...new Set(read.hot.map((i) => i.e as string))];
    const cold = new Set<string>();
    for (let i = 0; i < wanted.length; i += 100) {
      const part = wanted.slice(i, i + 100).map((e) => keys.cold(e as EmailId));
      for (const item of await ctx.kv.batchGet('msgmeta', part, { consistent: true })) cold.add(item.pk.slice(2));
    }
    for (const e of wanted) {
      const hasBlob = blobs.has(e);
      if (!hasBlob) this.add({ kind: 'missing-blob', mailbox: read.path, detail: `message ${e} has no body`, repairable: false });
      if (!cold.has(e)) {
        // The cold item is a function of the body and of the user's Message-ID → thread lookup (thread-ids.ts, which
        // finds the message's own id first, so a reply gets back the THREADID it had): index the body again.
        const v = this.add({ kind: 'missing-cold', mailbox: read.path, detail: `message ${e} has no cold item`, repairable: hasBlob });
        if (this.options.repair && hasBlob) {
          const key = blobKeys.message(this.user.tenantId, this.user.userId, e as EmailId);
          const parts: Buffer[] = [];
          for await (const chunk of await ctx.blob.get(key)) parts.push(chunk as Buffer);
          const cold = coldParts(Buffer.concat(parts));
          const threads = await resolveThreads(ctx, this.user.userId, [cold.index.hdr]);
          await putColdItem(ctx, this.user.tenantId, this.user.userId, e as EmailId, cold, threads.threads[0]);
          v.repaired = true;
        }
      }
    }
  }

  /** Sets the counters only if nothing committed since they were computed (the modseq condition). */
  private async repairCounters(mailboxId: MailboxId, modseq: number, actual: Counters): Promise<boolean> {
    try {
      await this.ctx.kv.update('mail', keys.mailbox(mailboxId), { set: { ...actual } }, {
        condition: { op: 'and', conditions: [{ op: 'eq', attr: 'modseq', value: modseq }, { op: 'eq', attr: 'state', value: 'active' }] },
      });
      return true;
    } catch (err) {
      if (err instanceof ConditionFailedError) return false;
      throw err;
    }
  }

  /** I5 against one instant: the user item and every META read twice, equal both times (a double collect). */
  private async checkUsage(names: KvItem[]): Promise<void> {
    const { ctx, user } = this;
    const ids = names.map((n) => n.mailboxId as MailboxId);
    const collect = async (): Promise<{ userItem: KvItem | undefined; metas: (KvItem | undefined)[] }> => ({
      userItem: await ctx.kv.get('mail', keys.user(user.userId), { consistent: true }),
      metas: await Promise.all(ids.map((id) => ctx.kv.get('mail', keys.mailbox(id), { consistent: true }))),
    });
    const fingerprint = (c: Awaited<ReturnType<typeof collect>>): string =>
      JSON.stringify([c.userItem?.usageBytes, c.userItem?.usageMessages, c.userItem?.mailboxes, c.metas.map((m) => [m?.modseq, m?.state])]);
    let before = await collect();
    for (let attempt = 0; attempt < STABLE_READ_ATTEMPTS; attempt++) {
      const after = await collect();
      if (fingerprint(before) === fingerprint(after)) break;
      before = after;
      if (attempt === STABLE_READ_ATTEMPTS - 1) {
        this.add({ kind: 'busy', detail: 'usage kept changing while read; not checked', repairable: false });
        return;
      }
    }
    const { userItem, metas } = before;
    if (!userItem) return; // being deleted
    const active = metas.filter((m): m is KvItem => m !== undefined && m.state === 'active' && m.owner === user.userId);
    const sum = {
      usageBytes: active.reduce((s, m) => s + (m.bytes as number), 0),
      usageMessages: active.reduce((s, m) => s + (m.messages as number), 0),
      mailboxes: active.length,
    };
    const fields = ['usageBytes', 'usageMessages', 'mailboxes'] as const;
    if (fields.every((f) => (userItem[f] ?? 0) === sum[f])) return;
    const v = this.add({
      kind: 'usage',
      detail: `the user item says ${show(userItem, fields)}, the mailboxes ${show(sum, fields)}`,
      repairable: active.length <= 98,
    });
    if (!this.options.repair || active.length > 98) return;
    // One transaction: the usage is set only if it and every mailbox are still as read.
    const actions: TxAction[] = [
      {
        type: 'update',
        table: 'mail',
        key: keys.user(user.userId),
        update: { set: { ...sum } },
        condition: { op: 'and', conditions: fields.map((f) => ({ op: 'eq' as const, attr: f, value: (userItem[f] as number | undefined) ?? 0 })) },
      },
      ...active.map((m): TxAction => ({
        type: 'check',
        table: 'mail',
        key: { pk: m.pk, sk: m.sk },
        condition: { op: 'eq', attr: 'modseq', value: m.modseq as number },
      })),
    ];
    try {
      await ctx.kv.transactWrite(actions);
      v.repaired = true;
    } catch (err) {
      if (!(err instanceof ConditionFailedError)) throw err;
      v.repaired = false;
    }
  }

  private async checkOrphans(): Promise<void> {
    const sweep = await sweepUser(this.ctx, this.user.tenantId as TenantId, this.user.userId as UserId, {
      graceMs: this.options.graceMs,
      now: this.options.now,
      dryRun: !this.options.repair,
    });
    for (const orphan of sweep.orphans) {
      this.add({
        kind: 'orphan-blob',
        detail: `body ${orphan.emailId} (${orphan.size} bytes, ${new Date(orphan.lastModified).toISOString()}) is referenced by no message`,
        repairable: true,
        ...(this.options.repair ? { repaired: true } : {}),
      });
    }
    for (const id of sweep.segments?.deleted ?? []) {
      this.add({
        kind: 'orphan-segment',
        detail: `search segment ${id} is named by no mailbox's directory`,
        repairable: true,
        ...(this.options.repair ? { repaired: true } : {}),
      });
    }
  }
}

export async function fsck(ctx: StoreContext, scope: UserScope, options: FsckOptions = {}): Promise<FsckReport> {
  const report: FsckReport = { users: 0, mailboxes: 0, messages: 0, violations: [] };
  for await (const user of usersInScope(ctx, scope)) {
    if (!(await ctx.kv.get('mail', keys.user(user.userId), { consistent: true }))) continue; // deleted half way
    const check = new UserCheck(ctx, user, options);
    await check.run();
    report.users++;
    report.mailboxes += check.mailboxes;
    report.messages += check.messages;
    report.violations.push(...check.violations);
  }
  return report;
}

/** The report as the CLI prints it without --json. */
export function formatFsckReport(report: FsckReport): string {
  const lines = report.violations.map((v) => {
    const where = v.mailbox === undefined ? v.login : `${v.login} ${JSON.stringify(v.mailbox)}`;
    const state = v.repaired === true ? ' [repaired]' : v.repaired === false ? ' [not repaired: changed meanwhile]' : v.repairable ? ' [repairable]' : '';
    return `${where}: ${v.kind}: ${v.detail}${state}`;
  });
  const open = report.violations.filter((v) => v.repaired !== true && v.kind !== 'busy').length;
  lines.push(
    `${report.users} users, ${report.mailboxes} mailboxes, ${report.messages} messages: ` +
      (report.violations.length === 0 ? 'no violations' : `${report.violations.length} violations, ${open} open`),
  );
  return lines.join('\n');
}

