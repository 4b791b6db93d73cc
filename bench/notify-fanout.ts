// NOTIFY fan-out (RFC 5465): N sessions of one user, each with INBOX selected and
// `NOTIFY SET (SELECTED (MessageNew MessageExpunge)) (PERSONAL (MessageNew MessageExpunge))` over 10 mailboxes, then
// another session APPENDs to a mailbox none of them has selected. Reports the store calls the fan-out cost (the
// process reads the mailbox's status once, whatever N is), the time until every session had its `* STATUS`, and the
// heap per NOTIFY session (measured in this process, clients included: an upper bound).
//
//   npx tsx --expose-gc bench/notify-fanout.ts [--sessions 500] [--rounds 5]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../src/config.js';
import { startServer } from '../src/server/main.js';
import { addUser } from '../src/mailstore/directory.js';
import { CallMeter } from '../src/storage/metered.js';
import { RawClient } from '../test/e2e/raw-client.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const SESSIONS = arg('sessions', 500);
const ROUNDS = arg('rounds', 5);

function heap(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
}

async function login(port: number): Promise<RawClient> {
  const c = await RawClient.connect(port);
  await c.command('L', 'LOGIN bench@example.com pw');
  return c;
}

const dir = mkdtempSync(join(tmpdir(), 'stratus-notify-bench-'));
const config = loadConfig({
  STRATUS_DATA_DIR: dir,
  STRATUS_IMAP_PORT: '0',
  STRATUS_POP3_PORT: 'off',
  STRATUS_LMTP_PORT: 'off',
  STRATUS_ADMIN_PORT: 'off',
  STRATUS_MAILBOX_POLL_MS: '3600000',
  STRATUS_MAX_SESSIONS_PER_USER: String(SESSIONS + 10),
  STRATUS_MAX_CONNECTIONS_PER_IP: String(SESSIONS + 10),
});
const server = await startServer(config, pino({ level: 'silent' }));
try {
  await addUser(server.store.ctx, 'bench@example.com', 'pw');
  const port = server.imapPort!;
  const writer = await login(port);
  for (let i = 0; i < 10; i++) await writer.command('C', `CREATE Box${i}`);

  const plain: RawClient[] = [];
  const base = heap();
  for (let i = 0; i < SESSIONS; i++) {
    const c = await login(port);
    await c.command('S', 'SELECT INBOX');
    plain.push(c);
  }
  const selected = heap();
  // What an APPEND costs with nobody notified (the same mailbox, the same sessions, before NOTIFY SET).
  let plainAppend = 0;
  for (let i = 0; i < 3; i++) {
    const before = server.store.meter.snapshot();
    await writer.append('A', 'Box3', `Subject: warm-up ${i}\r\n\r\nbody\r\n`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    plainAppend = CallMeter.diff(server.store.meter.snapshot(), before).kv;
  }
  for (const c of plain) await c.command('N', 'NOTIFY SET (SELECTED (MessageNew MessageExpunge)) (PERSONAL (MessageNew MessageExpunge))');
  const notified = heap();

  const rows: string[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const waits = plain.map((c) => c.until((t) => t.includes('* STATUS "Box3"')));
    const before = server.store.meter.snapshot();
    const start = performance.now();
    await writer.append('A', 'Box3', `Subject: round ${round}\r\n\r\nbody\r\n`);
    await Promise.all(waits);
    const ms = performance.now() - start;
    await new Promise((resolve) => setTimeout(resolve, 50));
    const total = CallMeter.diff(server.store.meter.snapshot(), before);
    rows.push(`| ${round} | ${total.kv} | ${total.kv - plainAppend} | ${ms.toFixed(1)} |`);
  }
  console.log(`sessions: ${SESSIONS}, heap per selected session ${((selected - base) / SESSIONS / 1024).toFixed(1)} KiB, ` +
    `added by NOTIFY SET (10 mailboxes) ${((notified - selected) / SESSIONS / 1024).toFixed(1)} KiB per session`);
  console.log(`plain APPEND (no NOTIFY session): ${plainAppend} kv calls`);
  console.log('| round | kv calls, APPEND + fan-out | of which the fan-out | ms until all sessions had STATUS |');
  console.log('|---|---|---|---|');
  for (const r of rows) console.log(r);
  for (const c of plain) c.close();
  writer.close();
} finally {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
