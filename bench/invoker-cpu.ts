// CPU per store call through the inline invoker, in one process (issue #8): a user with a mailbox of --messages
// messages, then --count calls each of `mailbox.changes` (what NOOP asks; almost no store work, so mostly the
// invoker's own cost) and `message.store` (one flag change: a transaction). Each variant of the call path runs in
// turn, interleaved --rounds times, CPU from process.cpuUsage():
//   wire     every request and response through JSON, requests validated with zod (what Lambda does; tests use it)
//   direct   objects passed as they are, requests validated with zod (what `stratus serve` runs)
//   +als     direct, inside an AsyncLocalStorage store (promise hooks on), as STRATUS_STATS=1 ran before issue #8
//
//   npx tsx bench/invoker-cpu.ts [--count 3000] [--messages 50] [--rounds 3]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { AsyncLocalStorage } from 'node:async_hooks';
import { loadConfig } from '../src/config.js';
import { openStore } from '../src/server/store.js';
import { addUser } from '../src/mailstore/directory.js';
import { MailStoreClient } from '../src/mailstore/client.js';
import { InlineInvoker } from '../src/mailstore/invoker.js';
import { makeCorpus } from './corpus.js';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '3000' },
    messages: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '3' },
  },
});
const count = Number(values.count);
const messages = Number(values.messages);

const dataDir = mkdtempSync(join(tmpdir(), 'stratus-invoker-cpu-'));
const store = openStore(loadConfig({ STRATUS_DATA_DIR: dataDir }));
const login = 'cpu@example.test';
await addUser(store.ctx, login, 'bench-password');
const { token } = await store.client.login(login, 'bench-password');
for (const m of makeCorpus(messages, 7)) await store.client.append(token, 'INBOX', Readable.from([m.raw]), m.raw.length, [], Date.now());
const opened = await store.client.call('mailbox.open', { token, path: 'INBOX' });
const mailboxId = opened.status.mailboxId;

// The wire form (JSON + zod) and the direct one (zod only), where this build has the option (a build before it
// ignores the option and runs the wire form twice).
const variants: [string, MailStoreClient][] = [
  ['wire', new MailStoreClient(new InlineInvoker(store.ctx, { wire: true }), store.ctx.blob)],
  ['direct', new MailStoreClient(new InlineInvoker(store.ctx, { wire: false }), store.ctx.blob)],
];

async function measure(client: MailStoreClient, op: 'changes' | 'store'): Promise<number> {
  const start = process.cpuUsage();
  if (op === 'changes') {
    const { status } = await client.call('mailbox.changes', { token, mailboxId, since: 0 });
    for (let i = 0; i < count; i++) await client.call('mailbox.changes', { token, mailboxId, since: status.highestModseq });
  } else {
    for (let i = 0; i < count; i++) {
      await client.call('message.store', { token, mailboxId, uids: [(i % messages) + 1], mode: i % 2 === 0 ? 'add' : 'remove', flags: ['\\Seen'] });
    }
  }
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000 / count;
}

const als = new AsyncLocalStorage<object>();
const results = new Map<string, number[]>();
const note = (name: string, ms: number): void => void results.set(name, [...(results.get(name) ?? []), ms]);
for (const [, client] of variants) await measure(client, 'changes'); // warm-up
for (let r = 0; r < Number(values.rounds); r++) {
  for (const op of ['changes', 'store'] as const) {
    for (const [name, client] of variants) note(`${op.padEnd(8)} ${name}`, await measure(client, op));
    const [name, client] = variants[variants.length - 1]!;
    note(`${op.padEnd(8)} ${name} +als`, await als.run({}, () => measure(client, op)));
  }
}
await store.close();
rmSync(dataDir, { recursive: true, force: true });

console.log(`${count} calls per measurement, ${messages} messages; CPU ms per call (min and median of ${values.rounds} rounds)`);
for (const [name, list] of results) {
  const sorted = [...list].sort((a, b) => a - b);
  console.log(`${name.padEnd(34)} min ${sorted[0]!.toFixed(4)}  median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(4)}`);
}
