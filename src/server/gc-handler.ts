// Lambda wiring of the blob GC (functions/gc.ts): an EventBridge schedule (cdk/stack.ts) invokes it daily with no
// scope, which sweeps every tenant and the prefixes of deleted owners (`stratus gc --all`); an operator may invoke it
// with `{"tenant": "<id>"}` or `{"user": "<login>"}` (and `"dryRun": true`) to sweep less. The grace period comes
// from STRATUS_GC_GRACE_HOURS (default 24 h, src/mailstore/gc.ts DEFAULT_GRACE_MS). The answer is a summary; the
// per-user detail goes to the log. Change-log items older than STRATUS_LOG_RETENTION_DAYS (default 60) are trimmed
// by the same sweep (src/mailstore/log-retention.ts).
import { loadConfig } from '../config.js';
import { collectGarbage, DEFAULT_GRACE_MS, type GcReport } from '../mailstore/gc.js';
import { DAY_MS } from '../mailstore/log-retention.js';
import type { StoreContext } from '../mailstore/context.js';
import type { UserScope } from '../mailstore/user-scope.js';
import { openStore } from './store.js';

export interface GcEvent {
  tenant?: string;
  user?: string;
  dryRun?: boolean;
}

export interface GcSummary {
  scope: UserScope;
  dryRun: boolean;
  graceHours: number;
  users: number;
  /** Unreferenced bodies older than the grace period: deleted (or, dry, would be). */
  orphans: number;
  orphanBytes: number;
  /** Young unreferenced bodies left for a later run. */
  young: number;
  deletedOwners: number;
  deletedOwnerObjects: number;
  /** Change-log items older than the retention: deleted (or, dry, would be). */
  logTrimmed: number;
}

/** STRATUS_GC_GRACE_HOURS as milliseconds; a bad value is refused rather than replaced by a guess. */
export function graceFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.STRATUS_GC_GRACE_HOURS;
  if (raw === undefined || raw === '') return DEFAULT_GRACE_MS;
  const hours = Number(raw);
  if (!Number.isFinite(hours) || hours < 0) throw new Error(`STRATUS_GC_GRACE_HOURS must be a number of hours ≥ 0, got "${raw}"`);
  return hours * 3600 * 1000;
}

function scopeOf(event: GcEvent | null | undefined): UserScope {
  if (event?.user !== undefined && event.tenant !== undefined) throw new Error('give one of "user" and "tenant"');
  if (typeof event?.user === 'string') return { user: event.user };
  if (typeof event?.tenant === 'string') return { tenant: event.tenant };
  return { all: true }; // the schedule's event (EventBridge sends its own fields, none of these)
}

export function summarise(scope: UserScope, dryRun: boolean, graceMs: number, report: GcReport): GcSummary {
  const orphans = report.users.flatMap((u) => u.orphans);
  return {
    scope,
    dryRun,
    graceHours: graceMs / 3600_000,
    users: report.users.length,
    orphans: orphans.length,
    orphanBytes: orphans.reduce((s, o) => s + o.size, 0),
    young: report.users.reduce((s, u) => s + u.young, 0),
    deletedOwners: report.deletedOwners.length,
    deletedOwnerObjects: report.deletedOwners.reduce((s, p) => s + p.deleted, 0),
    logTrimmed: report.users.reduce((s, u) => s + (u.logTrimmed ?? 0), 0),
  };
}

export interface GcHandlerDeps {
  ctx: StoreContext;
  graceMs: number;
  /** The clock (tests move it); Date.now by default. */
  now?: () => number;
  /** Change-log retention (STRATUS_LOG_RETENTION_DAYS); the GC's default (60 days) when absent. */
  logRetentionMs?: number;
}

function openFromEnv(): GcHandlerDeps {
  const config = loadConfig();
  return { ctx: openStore(config).ctx, graceMs: graceFromEnv(), logRetentionMs: config.logRetentionDays * DAY_MS };
}

export function makeGcHandler(open: () => GcHandlerDeps = openFromEnv) {
  let deps: GcHandlerDeps | undefined; // built on the first invocation, reused while the container lives
  return async (event: GcEvent | null | undefined): Promise<GcSummary> => {
    deps ??= open();
    const scope = scopeOf(event);
    const dryRun = event?.dryRun === true;
    const now = (deps.now ?? Date.now)();
    const report = await collectGarbage(deps.ctx, scope, { graceMs: deps.graceMs, dryRun, now, logRetentionMs: deps.logRetentionMs });
    const summary = summarise(scope, dryRun, deps.graceMs, report);
    // Per user only where something went, so a large deployment's daily line stays readable.
    const swept = report.users.filter((u) => u.orphans.length > 0).map((u) => ({ userId: u.userId, blobs: u.blobs, orphans: u.orphans.length }));
    console.log(JSON.stringify({ msg: 'gc done', ...summary, swept: swept.slice(0, 1000) }));
    return summary;
  };
}
