// Server CPU per APPEND on the embedded backend, in-process: the store calls an IMAP APPEND makes (`stage` = the
// literal streamed into the blob store, then `appendStaged` = index + cold item + commit), through the same store,
// invoker and background seal queue `npm start` wires up, with no sockets or IMAP parsing around them. CPU is the
// process's user+system time (process.cpuUsage) over the APPEND loop plus the seals it triggered, so it is steady
// on a shared machine where wall-clock figures are not.
//
//   npx tsx bench/append-cpu.ts [--users 10] [--messages 200] [--rounds 1]
//   npx tsx bench/append-cpu.ts --cpu-prof /tmp/appendprof     # plus a V8 profile of the APPEND loop alone
//
// --users clients append concurrently, each --messages messages of the load corpus (bench/corpus.ts, as
// bench/load.ts sends them) into its own INBOX; --rounds repeats the whole run on fresh data directories.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.js';
import { openStore } from '../src/server/store.js';
import { addUser } from '../src/mailstore/directory.js';
import { SealQueue } from '../src/mailstore/search-seal.js';
import { FRESH_DOC_CHARS, FreshDocCache } from '../src/mailstore/search-fresh-docs.js';
import { makeCorpus } from './corpus.js';

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '10' },
    messages: { type: 'string', default: '200' },
    rounds: { type: 'string', default: '1' },
    'cpu-prof': { type: 'string' },
  },
});
const users = Number(values.users);
const messages = Number(values.messages);
const rounds = Number(values.rounds);
const profileDir = values['cpu-prof'];

/** Profiles `body` alone (not the setup around it) into `profileDir`, when one was given. */
async function profiled<T>(name: string, body: () => Promise<T>): Promise<T> {
  if (profileDir === undefined) return body();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await body();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    mkdirSync(profileDir, { recursive: true });
    writeFileSync(join(profileDir, `${name}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  }
}

async function round(n: number): Promise<{ cpuMs: number; appends: number; wallMs: number; kvCalls: number; blobCalls: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'stratus-append-cpu-'));
  const store = openStore(loadConfig({ STRATUS_DATA_DIR: dataDir, STRATUS_LOG_LEVEL: 'warn' }));
  const seals = new SealQueue(store.ctx, (err) => console.error('seal failed', err));
  store.ctx.uidsAllocated = (mailboxId, from, to) => seals.allocated(mailboxId, from, to);
  store.ctx.sealDue = (mailboxId) => seals.request(mailboxId);
  store.ctx.freshDocs = new FreshDocCache(FRESH_DOC_CHARS);
  try {
    const tokens: string[] = [];
    for (let u = 0; u < users; u++) {
      const login = `append${u}@example.com`;
      await addUser(store.ctx, login, 'append password 1');
      tokens.push((await store.client.login(login, 'append password 1')).token);
    }
    const corpora = tokens.map((_, u) => makeCorpus(messages, 1000 * n + u + 1));
    const before = store.meter.snapshot();
    const started = process.cpuUsage();
    const wall = Date.now();
    await profiled(`append-round-${n + 1}`, () => Promise.all(
      tokens.map(async (token, u) => {
        let mailboxId: string | undefined; // as the IMAP layer sends it (session/mailbox-id-hints.ts)
        for (const message of corpora[u]!) {
          // As the IMAP layer hands it over: a literal up to 256 KiB whole, a larger one as a stream.
          const body = message.raw.length <= 256 * 1024 ? message.raw : Readable.from([message.raw]);
          const emailId = await store.client.stage(token, body, message.raw.length);
          const staged = [{ emailId, size: message.raw.length, flags: [], internalDate: Date.now() }];
          mailboxId = (await store.client.appendStaged(token, 'INBOX', staged, mailboxId)).mailboxId;
        }
      }),
    ).then(() => seals.idle()));
    const used = process.cpuUsage(started);
    const counts = store.meter.snapshot();
    const calls = (prefix: string): number =>
      Object.entries(counts.byOp)
        .filter(([op]) => op.startsWith(prefix))
        .reduce((s, [op, c]) => s + c - (before.byOp[op] ?? 0), 0);
    return { cpuMs: (used.user + used.system) / 1000, appends: users * messages, wallMs: Date.now() - wall, kvCalls: calls('kv.'), blobCalls: calls('blob.') };
  } finally {
    await seals.close();
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

for (let n = 0; n < rounds; n++) {
  const r = await round(n);
  console.log(
    `round ${n + 1}: ${r.appends} APPENDs, ${(r.cpuMs / r.appends).toFixed(2)} ms CPU per APPEND ` +
      `(${r.cpuMs.toFixed(0)} ms CPU in ${r.wallMs} ms), store calls per APPEND: ` +
      `${(r.kvCalls / r.appends).toFixed(2)} KV, ${(r.blobCalls / r.appends).toFixed(2)} blob (seals included)`,
  );
}
