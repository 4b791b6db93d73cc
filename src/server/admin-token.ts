// The operator's admin token: STRATUS_ADMIN_TOKEN when set; otherwise, on the embedded backend, a random token kept
// in <data dir>/admin.token (mode 0600), made on first use and shown by `stratus admin token`. Functions only ever
// hold its sha256 (StoreContext.adminTokenHash).
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Config } from '../config.js';

export function adminTokenPath(config: Config): string {
  return join(config.dataDir, 'admin.token');
}

/** The operator token, or undefined (aws backend without STRATUS_ADMIN_TOKEN: only tenant tokens work). */
export function operatorToken(config: Config): string | undefined {
  if (config.adminToken) return config.adminToken;
  if (config.backend !== 'embedded') return undefined;
  const path = adminTokenPath(config);
  if (!existsSync(path)) {
    try {
      writeFileSync(path, 'sat.' + randomBytes(32).toString('base64url') + '\n', { mode: 0o600, flag: 'wx' });
    } catch (err) {
      if (!(err instanceof Error && 'code' in err && err.code === 'EEXIST')) throw err;
    }
  }
  chmodSync(path, 0o600);
  return readFileSync(path, 'utf8').trim();
}
