// CPU of the background seal (src/mailstore/search-seal.ts) per message stored, for one mailbox growing to --messages
// messages and sealed every SEAL_THRESHOLD UIDs, as SealQueue does it: each seal tops up the last segment until it
// holds SEGMENT_DOCS messages. The APPENDs go through the in-process store (as bench/append-cpu.ts); only the seals
// are timed, with process.cpuUsage (all threads: the segment deflate runs on libuv's pool), so the figure is steady
// on a shared machine. The store calls of the seals are counted too.
//
//   npx tsx bench/seal-cpu.ts [--messages 1000] [--cold]
//
// --cold: every seal runs as in a process that did not store the messages (the fresh-doc cache emptied first), so
// it reads their cold items.
import { FRESH_DOC_CHARS, FreshDocCache } from '../src/mailstore/search-fresh-docs.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.js';
import { openStore } from '../src/server/store.js';
import { addUser } from '../src/mailstore/directory.js';
import type { MailboxId } from '../src/mailstore/ids.js';
import { sealMailbox } from '../src/mailstore/search-seal.js';
import { SEAL_THRESHOLD, directoryFromItem } from '../src/mailstore/search-segments.js';
import { keys } from '../src/mailstore/keys.js';
import { makeCorpus } from './corpus.js';

const { values } = parseArgs({ options: { messages: { type: 'string', default: '1000' }, cold: { type: 'boolean', default: false } } });
const messages = Number(values.messages);

const dataDir = mkdtempSync(join(tmpdir(), 'stratus-seal-cpu-'));
const store = openStore(loadConfig({ STRATUS_DATA_DIR: dataDir, STRATUS_LOG_LEVEL: 'warn' }));
try {
  await addUser(store.ctx, 'seal@example.com', 'seal password 1');
  const { token } = await store.client.login('seal@example.com', 'seal password 1');
  const corpus = makeCorpus(messages, 17);
  // As the embedded server wires it (src/server/main.ts); --cold clears it before each seal, as another process would.
  store.ctx.freshDocs = new FreshDocCache(FRESH_DOC_CHARS);
  const clearCache = values.cold ? store.ctx.freshDocs : undefined;
  let mailboxId = '';
  let sealMicros = 0;
  let seals = 0;
  const calls: Record<string, number> = {};
  for (const [i, message] of corpus.entries()) {
    const emailId = await store.client.stage(token, Readable.from([message.raw]), message.raw.length);
    const done = await store.client.appendStaged(token, 'INBOX', [{ emailId, size: message.raw.length, flags: [], internalDate: Date.now() }]);
    mailboxId = done.mailboxId;
    if ((i + 1) % SEAL_THRESHOLD !== 0) continue;
    clearCache?.clear();
    const before = store.meter.snapshot();
    const started = process.cpuUsage();
    await sealMailbox(store.ctx, mailboxId as MailboxId);
    const used = process.cpuUsage(started);
    sealMicros += used.user + used.system;
    seals++;
    for (const [op, n] of Object.entries(store.meter.snapshot().byOp)) calls[op] = (calls[op] ?? 0) + n - (before.byOp[op] ?? 0);
  }
  const perSeal = Object.entries(calls)
    .filter(([, n]) => n > 0)
    .map(([op, n]) => `${op} ${(n / seals).toFixed(2)}`)
    .join(', ');
  const dir = directoryFromItem(await store.ctx.kv.get('mail', keys.searchDirectory(mailboxId as MailboxId), { consistent: true }));
  const segmentBytes = dir.segments.reduce((sum, s) => sum + s.bytes, 0);
  console.log(
    `${messages} messages, ${seals} seals, ${dir.segments.length} segments of ${segmentBytes} bytes${values.cold ? ' (cold cache)' : ''}: ${(sealMicros / messages / 1000).toFixed(3)} ms seal CPU per message ` +
      `(${(sealMicros / 1000).toFixed(0)} ms in all); store calls per seal: ${perSeal}`,
  );
} finally {
  await store.close();
  rmSync(dataDir, { recursive: true, force: true });
}
