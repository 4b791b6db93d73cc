#!/usr/bin/env node
// Dependency audit for CI (issue 9 item 6): `npm audit --omit=dev` and fail on any high or critical advisory in a
// production dependency that .ci/audit-allowlist.json does not list with a reason and an expiry date. An expired
// entry counts as not listed, so every exception is looked at again.
// When the registry's audit endpoint cannot be reached (a mirror or proxy that allows only GET), the step says so
// and passes, unless STRATUS_AUDIT_REQUIRED=1 (then it fails closed).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const allowlist = JSON.parse(readFileSync(new URL('./audit-allowlist.json', import.meta.url), 'utf8'));
const today = new Date().toISOString().slice(0, 10);
const allowed = new Map();
for (const entry of allowlist.advisories) {
  if (!entry.reason || !entry.expires) throw new Error(`audit-allowlist.json: ${entry.id} needs a reason and an expiry date`);
  if (entry.expires >= today) allowed.set(entry.id, entry);
  else console.log(`audit: allowlist entry ${entry.id} expired on ${entry.expires}; it no longer applies`);
}

let raw;
try {
  raw = execFileSync('npm', ['audit', '--omit=dev', '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
} catch (err) {
  raw = err.stdout ?? ''; // npm audit exits 1 when it finds anything; the JSON is still on stdout
}
let report;
try {
  report = JSON.parse(raw);
} catch {
  report = { error: { summary: raw.slice(0, 300) } };
}
if (report.error || report.message) {
  const why = report.message ?? report.error?.summary ?? report.error?.code;
  console.log(`audit: the advisory endpoint could not be reached (${why})`);
  if (process.env.STRATUS_AUDIT_REQUIRED === '1') process.exit(1);
  console.log('audit: skipped (set STRATUS_AUDIT_REQUIRED=1 to fail instead)');
  process.exit(0);
}

const blocking = [];
for (const [name, vuln] of Object.entries(report.vulnerabilities ?? {})) {
  if (vuln.severity !== 'high' && vuln.severity !== 'critical') continue;
  // `via` holds advisories (objects) or names of vulnerable dependencies (strings) this one pulls in.
  const advisories = vuln.via.filter((v) => typeof v === 'object');
  for (const advisory of advisories.length > 0 ? advisories : [{ url: `(through ${vuln.via.join(', ')})`, title: '' }]) {
    const id = advisory.url?.split('/').pop() ?? String(advisory.source);
    if (allowed.has(id)) {
      console.log(`audit: ${name} ${id} allowed until ${allowed.get(id).expires}: ${allowed.get(id).reason}`);
      continue;
    }
    if (typeof advisory.source !== 'number' && vuln.via.every((v) => typeof v === 'string')) continue; // reported at its source
    blocking.push(`${vuln.severity} ${name}: ${advisory.title} ${advisory.url}`);
  }
}
const counts = report.metadata?.vulnerabilities ?? {};
console.log(`audit: production dependencies: ${JSON.stringify(counts)}`);
if (blocking.length > 0) {
  console.log('audit: high or critical advisories not in .ci/audit-allowlist.json:');
  for (const line of blocking) console.log(`  ${line}`);
  process.exit(1);
}
console.log('audit: no high or critical advisory outside the allowlist');
