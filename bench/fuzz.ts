// The fuzzing script (issue 9 item 4): random and mutated inputs against the IMAP command reader/parser, the POP3
// line reader/parser, the LMTP session (loopback), the MIME indexer and the admin API (Hono fetch, no network).
//
//   npx tsx bench/fuzz.ts [--cases 1000000] [--seed 1] [--targets imap,pop3,mime,admin,lmtp] [--case-limit-ms 2000]
//
// --cases is the total; it is split by each target's weight (the in-process parsers take most, the loopback and
// store-backed surfaces fewer). Fails (exit 1) on the first crash or hang and prints the case's seed; a crash found
// becomes a regression test in test/fuzz/regressions.test.ts. Prints a Markdown table and one JSON line.
import { parseArgs } from 'node:util';
import { adminTarget, fuzz, imapTarget, lmtpTarget, mimeTarget, pop3Target, type FuzzReport, type FuzzTarget } from '../test/fuzz/targets.js';

const { values: args } = parseArgs({
  options: {
    cases: { type: 'string', default: '1000000' },
    seed: { type: 'string', default: '1' },
    targets: { type: 'string', default: 'imap,pop3,mime,admin,lmtp' },
    'case-limit-ms': { type: 'string', default: '2000' },
  },
});

/** Share of the cases per target. */
const WEIGHTS: Record<string, number> = { imap: 0.4, pop3: 0.3, mime: 0.15, admin: 0.1, lmtp: 0.05 };

const makers: Record<string, () => FuzzTarget | Promise<FuzzTarget>> = {
  imap: () => imapTarget,
  pop3: () => pop3Target,
  mime: () => mimeTarget,
  admin: () => adminTarget(),
  lmtp: () => lmtpTarget(),
};

const total = Number(args.cases);
const seed = Number(args.seed);
const chosen = args.targets.split(',').filter((name) => makers[name]);
const weightSum = chosen.reduce((a, name) => a + (WEIGHTS[name] ?? 0), 0);
const reports: FuzzReport[] = [];
let failure: string | undefined;
for (const name of chosen) {
  const target = await makers[name]!();
  const cases = Math.max(1, Math.round((total * (WEIGHTS[name] ?? 0)) / weightSum));
  try {
    reports.push(await fuzz(target, cases, seed, Number(args['case-limit-ms'])));
    process.stderr.write(`fuzz: ${name} ${cases} cases passed\n`);
  } catch (err) {
    failure = (err as Error).message;
    console.error(err);
  } finally {
    await target.close?.();
  }
  if (failure) break;
}
console.log('\n| target | cases | seconds | cases/s | slowest case (ms) | peak heap (MB) |\n|---|---:|---:|---:|---:|---:|');
for (const r of reports) console.log(`| ${r.target} | ${r.cases} | ${(r.ms / 1000).toFixed(1)} | ${Math.round(r.cases / (r.ms / 1000))} | ${r.slowest} | ${r.heapMb} |`);
const cases = reports.reduce((a, r) => a + r.cases, 0);
console.log(JSON.stringify({ fuzz: { seed, cases, reports, failure: failure ?? null } }));
process.exitCode = failure ? 1 : 0;
