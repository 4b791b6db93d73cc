// LMTP delivery load: deliveries per second into one mailbox and into many mailboxes, against `stratus serve` in a
// child process (bench/stratus-process.ts; embedded SQLite + files). Like the rest of bench/, it talks to the server
// over the wire only; users are made with `stratus user add`.
//
//   npx tsx bench/lmtp-load.ts [--users 50] [--messages 400] [--concurrency 8] [--size 4096]
//
// Phase "one mailbox": --messages deliveries, all to user 0, from --concurrency LMTP sessions at once (they contend
// on that INBOX's META compare-and-swap). Phase "many mailboxes": the same count spread round-robin over --users.
// Each delivery is one transaction (MAIL, RCPT, DATA) with one recipient; each session is reused (RSET-free, the
// transaction ends with DATA). Prints a Markdown table and a JSON line.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LmtpClient } from './lmtp-client.js';
import { percentile } from './latency-stats.js';
import { addUser, freePort, startStratus } from './stratus-process.js';

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '50' },
    messages: { type: 'string', default: '400' },
    concurrency: { type: 'string', default: '8' },
    size: { type: 'string', default: '4096' },
  },
});
const users = Number(values.users);
const messages = Number(values.messages);
const concurrency = Number(values.concurrency);
const size = Number(values.size);

function body(i: number): string {
  const head = `From: Load <load@example.org>\r\nTo: user@example.com\r\nSubject: LMTP load ${i}\r\nMessage-ID: <lmtp-load-${i}-${Date.now()}@example.org>\r\n\r\n`;
  const line = 'The quick brown fox jumps over the lazy dog 0123456789.\r\n';
  return head + line.repeat(Math.max(1, Math.ceil((size - head.length) / line.length)));
}

interface PhaseResult {
  phase: string;
  deliveries: number;
  seconds: number;
  perSecond: number;
  p50ms: number;
  p99ms: number;
  failures: number;
}

async function phase(name: string, port: number, recipientOf: (i: number) => string, offset: number): Promise<PhaseResult> {
  const latencies: number[] = [];
  let failures = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      const { client } = await LmtpClient.open(port);
      await client.command('LHLO bench.example.org');
      for (let i = next++; i < messages; i = next++) {
        const t0 = performance.now();
        await client.command('MAIL FROM:<load@example.org>');
        await client.command(`RCPT TO:<${recipientOf(i)}>`);
        const { replies } = await client.data(body(offset + i), 1);
        latencies.push(performance.now() - t0);
        if (replies[0]?.code !== 250) failures++;
      }
      await client.command('QUIT');
      await client.close();
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    phase: name,
    deliveries: messages,
    seconds: Number(seconds.toFixed(2)),
    perSecond: Number((messages / seconds).toFixed(1)),
    p50ms: Number(percentile(latencies, 0.5).toFixed(1)),
    p99ms: Number(percentile(latencies, 0.99).toFixed(1)),
    failures,
  };
}

const dataDir = mkdtempSync(join(tmpdir(), 'stratus-lmtp-bench-'));
try {
  const logins = Array.from({ length: users }, (_, i) => `user${i}@example.com`);
  for (let i = 0; i < logins.length; i += 8) await Promise.all(logins.slice(i, i + 8).map((l) => addUser(dataDir, l, 'pw')));
  const lmtpPort = await freePort();
  const server = await startStratus({ dataDir, env: { STRATUS_LMTP_PORT: String(lmtpPort) } });
  try {
    const results = [
      await phase('one mailbox', lmtpPort, () => logins[0]!, 0),
      await phase(`many mailboxes (${users})`, lmtpPort, (i) => logins[i % users]!, messages),
    ];
    console.log(`LMTP deliveries: ${messages} per phase, ${concurrency} sessions, ~${size} B messages, 1 recipient each\n`);
    console.log('| phase | deliveries | s | deliveries/s | p50 ms | p99 ms | failures |');
    console.log('|---|---:|---:|---:|---:|---:|---:|');
    for (const r of results) console.log(`| ${r.phase} | ${r.deliveries} | ${r.seconds} | ${r.perSecond} | ${r.p50ms} | ${r.p99ms} | ${r.failures} |`);
    console.log(JSON.stringify({ bench: 'lmtp-load', users, messages, concurrency, size, results }));
  } finally {
    await server.stop();
  }
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
