// CI's share of the fuzzing (issue 9 item 4): 100,000 seeded cases (most where a case is cheap) across the IMAP reader/parser, POP3, MIME, the
// admin API and LMTP (test/fuzz/targets.ts). No crash, no hang (5 s per case), heap bounded. The long run is
// `npx tsx bench/fuzz.ts --cases 1000000`; a different seed per run there, a fixed one here so CI is repeatable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adminTarget, fuzz, imapTarget, lmtpTarget, mimeTarget, pop3Target, type FuzzTarget } from './targets.js';

const SEED = 20261126;
const HEAP_LIMIT_MB = 512;
/** A case this slow is a hang; generous, so a busy CI machine does not fail it (the slowest seen here is < 1 s). */
const CASE_LIMIT_MS = 5000;

const plan: [string, () => FuzzTarget | Promise<FuzzTarget>, number][] = [
  ['IMAP command reader and parser', () => imapTarget, 30_000],
  ['POP3 line reader and parser', () => pop3Target, 55_000],
  ['MIME indexer', () => mimeTarget, 10_000],
  ['admin API bodies, paths and queries', () => adminTarget(), 3_000],
  ['LMTP session over loopback', () => lmtpTarget(), 2_000],
];

for (const [name, make, cases] of plan) {
  test(`fuzz: ${name}, ${cases} cases`, async () => {
    const target = await make();
    try {
      const report = await fuzz(target, cases, SEED, CASE_LIMIT_MS);
      assert.equal(report.cases, cases);
      assert.ok(report.heapMb < HEAP_LIMIT_MB, `heap grew to ${report.heapMb} MB`);
    } finally {
      await target.close?.();
    }
  });
}
