// The operator's maintenance commands of the `stratus` CLI: `fsck` (storage invariants, src/mailstore/fsck.ts) and
// `gc` (the blob sweep, src/mailstore/gc.ts). Exit status: 0 clean, 1 violations left open, 2 usage error.
import type { StoreContext } from '../mailstore/context.js';
import { fsck, formatFsckReport } from '../mailstore/fsck.js';
import { collectGarbage, DEFAULT_GRACE_MS } from '../mailstore/gc.js';
import type { UserScope } from '../mailstore/user-scope.js';

export const MAINTENANCE_OPTIONS = {
  user: { type: 'string' },
  tenant: { type: 'string' },
  all: { type: 'boolean' },
  repair: { type: 'boolean' },
  json: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  'grace-hours': { type: 'string' },
} as const;

export interface MaintenanceValues {
  user?: string;
  tenant?: string;
  all?: boolean;
  repair?: boolean;
  json?: boolean;
  'dry-run'?: boolean;
  'grace-hours'?: string;
}

class UsageError extends Error {}

function scopeOf(values: MaintenanceValues): UserScope {
  const given = [values.user !== undefined, values.tenant !== undefined, values.all === true].filter(Boolean).length;
  if (given > 1) throw new UsageError('give one of --user, --tenant, --all');
  if (values.user !== undefined) return { user: values.user };
  if (values.tenant !== undefined) return { tenant: values.tenant };
  return { all: true };
}

function graceOf(values: MaintenanceValues): number {
  if (values['grace-hours'] === undefined) return DEFAULT_GRACE_MS;
  const hours = Number(values['grace-hours']);
  if (!Number.isFinite(hours) || hours < 0) throw new UsageError('--grace-hours takes a number of hours ≥ 0');
  return hours * 3600 * 1000;
}

export async function runMaintenance(
  ctx: StoreContext,
  command: 'fsck' | 'gc',
  values: MaintenanceValues,
  write: (text: string) => void,
  /** Change-log retention for `gc` (config STRATUS_LOG_RETENTION_DAYS); the GC's default when absent. */
  logRetentionMs?: number,
): Promise<number> {
  let scope: UserScope;
  let graceMs: number;
  try {
    scope = scopeOf(values);
    graceMs = graceOf(values);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    write(`stratus ${command}: ${err.message}\n`);
    return 2;
  }
  if (command === 'fsck') {
    const report = await fsck(ctx, scope, { repair: values.repair === true, graceMs });
    write(values.json ? JSON.stringify(report, null, 2) + '\n' : formatFsckReport(report) + '\n');
    return report.violations.some((v) => v.repaired !== true && v.kind !== 'busy') ? 1 : 0;
  }
  const report = await collectGarbage(ctx, scope, { graceMs, dryRun: values['dry-run'] === true, logRetentionMs });
  if (values.json) {
    write(JSON.stringify(report, null, 2) + '\n');
    return 0;
  }
  const verb = values['dry-run'] ? 'would delete' : 'deleted';
  let bodies = 0;
  let bytes = 0;
  for (const user of report.users) {
    bodies += user.orphans.length;
    bytes += user.orphans.reduce((s, o) => s + o.size, 0);
  }
  const owners = report.deletedOwners.reduce((s, p) => s + p.deleted, 0);
  const logItems = report.users.reduce((s, u) => s + (u.logTrimmed ?? 0), 0);
  write(
    `${report.users.length} users swept: ${verb} ${bodies} unreferenced bodies (${bytes} bytes)` +
      (report.deletedOwners.length > 0 ? `; ${verb} ${owners} objects of ${report.deletedOwners.length} deleted owners` : '') +
      (logItems > 0 ? `; ${verb} ${logItems} change-log items older than the retention` : '') +
      '\n',
  );
  return 0;
}
