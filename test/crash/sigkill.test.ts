// Crash safety (issue 9 item 1): `stratus serve` as a real process on SQLite and on DynamoDB Local + the S3 stand-in,
// write storms from several IMAP clients (APPEND, COPY, MOVE, STORE, EXPUNGE, RENAME), SIGKILL mid-storm, then:
//  - every command a client saw a tagged OK for is in the store, exactly (its model of its own mailboxes);
//  - the one command in flight per client at the kill is all or nothing (the store equals the model before or after);
//  - every message's body is readable; and `stratus fsck --all --json` finds no violation (orphaned bodies of
//    unacknowledged APPENDs are GC's, and young enough not to be reported).
// Each client writes only its own mailboxes, so its model is exact; all share one account (one usage item, one
// user partition). The server is restarted after each kill and the storm goes on from the verified state.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../../src/config.js';
import { openStore, type Store } from '../../src/server/store.js';
import { addUser } from '../../src/mailstore/directory.js';
import { FLAG_DELETED, FLAG_FLAGGED } from '../../src/mailstore/flags.js';
import { fsck, type FsckReport } from '../../src/mailstore/fsck.js';
import { startServe, type ServeProcess } from '../e2e/serve-process.js';
import { RawClient } from '../e2e/raw-client.js';
import { dynamoStore, sqliteStore, type SharedStore } from '../e2e/two-process-stores.js';

const USER = 'crash@example.com';
const PASSWORD = 'kill -9';
const CLIENTS = 4;
const ROUNDS = 3;

/** A client's view of its mailboxes: path → messages in UID order ("subject|flags"). */
type Model = Map<string, { subject: string; flags: number }[]>;

const clone = (m: Model): Model => new Map([...m].map(([k, v]) => [k, v.map((x) => ({ ...x }))]));
const render = (m: Model): string =>
  JSON.stringify([...m].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, v.map((x) => `${x.subject}|${x.flags}`)]));

const body = (subject: string) => `From: storm@example.org\r\nSubject: ${subject}\r\nMessage-ID: <${subject}@crash>\r\n\r\nbody of ${subject}\r\n`;

interface ClientState {
  id: number;
  model: Model;
  /** The command in flight when the connection died: its effect, if it happened. */
  pending?: (m: Model) => Model;
  renamed: boolean;
  counter: number;
  acked: number;
}

function newClient(id: number): ClientState {
  return { id, model: new Map([[`C${id}-a`, []], [`C${id}-b`, []], [`C${id}-r`, []]]), renamed: false, counter: 0, acked: 0 };
}

const ok = (answer: string, tag: string) => new RegExp(`(^|\\r\\n)${tag} OK`).test(answer);

/** One step of the storm; resolves when acknowledged (the model then moves on), rejects when the server dies. */
async function step(c: RawClient, s: ClientState): Promise<void> {
  const a = `C${s.id}-a`;
  const b = `C${s.id}-b`;
  const r = s.renamed ? `C${s.id}-s` : `C${s.id}-r`;
  const tag = `T${s.counter++}`;
  const run = async (effect: (m: Model) => Model, send: () => Promise<string>): Promise<void> => {
    s.pending = effect;
    const answer = await send();
    assert.ok(ok(answer, tag), `${tag} acknowledged: ${answer}`);
    s.model = effect(s.model);
    s.pending = undefined;
    s.acked++;
  };
  const kind = Math.floor(Math.random() * 7);
  const model = s.model;
  if (kind <= 1 || model.get(a)!.length === 0) {
    const subject = `c${s.id}-${randomUUID().slice(0, 8)}`;
    await run(
      (m) => (m = clone(m), m.get(a)!.push({ subject, flags: 0 }), m),
      () => c.append(tag, a, body(subject)),
    );
    return;
  }
  if (kind === 6) {
    const to = s.renamed ? `C${s.id}-r` : `C${s.id}-s`;
    await run(
      (m) => {
        m = clone(m);
        m.set(to, m.get(r)!);
        m.delete(r);
        return m;
      },
      () => c.command(tag, `RENAME ${r} ${to}`),
    );
    s.renamed = !s.renamed;
    const subject = `c${s.id}-r-${randomUUID().slice(0, 8)}`;
    const tag2 = `T${s.counter++}`;
    s.pending = (m) => (m = clone(m), m.get(to)!.push({ subject, flags: 0 }), m);
    assert.ok(ok(await c.append(tag2, to, body(subject)), tag2));
    s.model = s.pending(s.model);
    s.pending = undefined;
    return;
  }
  // The rest works on a selected mailbox, sequence number 1 = the first message of the model's list.
  // EXPUNGE works in b when it has messages; COPY, MOVE and STORE in a (never empty here).
  const source = kind === 5 && model.get(b)!.length > 0 ? b : a;
  assert.ok(ok(await c.command(`S${tag}`, `SELECT ${source}`), `S${tag}`));
  if (kind === 2) {
    await run(
      (m) => (m = clone(m), m.get(b)!.push({ ...m.get(a)![0]! }), m),
      () => c.command(tag, `COPY 1 ${b}`),
    );
  } else if (kind === 3) {
    await run(
      (m) => {
        m = clone(m);
        const [first] = m.get(a)!.splice(0, 1);
        m.get(b)!.push(first!);
        return m;
      },
      () => c.command(tag, `MOVE 1 ${b}`),
    );
  } else if (kind === 4) {
    await run(
      (m) => (m = clone(m), (m.get(source)![0]!.flags |= FLAG_FLAGGED), m),
      () => c.command(tag, 'STORE 1 +FLAGS.SILENT (\\Flagged)'),
    );
  } else {
    await run(
      (m) => (m = clone(m), (m.get(source)![0]!.flags |= FLAG_DELETED), m),
      () => c.command(tag, 'STORE 1 +FLAGS.SILENT (\\Deleted)'),
    );
    const tag2 = `E${tag}`;
    s.pending = (m) => {
      m = clone(m);
      m.get(source)!.splice(0, 1);
      return m;
    };
    assert.ok(ok(await c.command(tag2, 'EXPUNGE'), tag2));
    s.model = s.pending(s.model);
    s.pending = undefined;
    s.acked++;
  }
}

/** What the store holds for a client's mailboxes, read through the mail store (bodies from the blob store). */
async function actualOf(store: Store, token: string, s: ClientState): Promise<Model> {
  const { mailboxes } = await store.client.call('mailbox.list', { token });
  const out: Model = new Map();
  for (const entry of mailboxes.filter((e) => e.path.startsWith(`C${s.id}-`) && e.mailboxId)) {
    const box = await store.client.call('mailbox.open', { token, path: entry.path });
    const list: { subject: string; flags: number }[] = [];
    for (let i = 0; i < box.messages.uids.length; i++) {
      const chunks: Buffer[] = [];
      for await (const chunk of await store.ctx.blob.get(`${box.blobPrefix}m/${box.messages.emailIds[i]}.eml`)) chunks.push(chunk as Buffer);
      const text = Buffer.concat(chunks).toString('latin1');
      const subject = /Subject: (\S+)/.exec(text)?.[1] ?? '?';
      assert.equal(text, body(subject), `the body of ${subject} is whole`);
      list.push({ subject, flags: box.messages.flags[i]! & (FLAG_FLAGGED | FLAG_DELETED) });
    }
    out.set(entry.path, list);
  }
  return out;
}

async function fsckCli(env: NodeJS.ProcessEnv): Promise<FsckReport> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'fsck', '--all', '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
  await new Promise((resolve) => child.once('exit', resolve));
  try {
    return JSON.parse(out) as FsckReport;
  } catch {
    throw new Error(`stratus fsck printed no report: ${out}${err}`);
  }
}

const ackedOf = (clients: ClientState[]) => clients.reduce((n, s) => n + s.acked, 0);

/** Runs the storm until `killAt` more commands were acknowledged (bounded wait), then a random moment more, then kills. */
async function storm(port: number, clients: ClientState[], killAt: number, kill: () => Promise<void>): Promise<void> {
  const connections = await Promise.all(
    clients.map(async () => {
      const c = await RawClient.connect(port);
      assert.match(await c.command('L', `LOGIN "${USER}" "${PASSWORD}"`), /L OK/);
      return c;
    }),
  );
  let killed = false;
  const loops = clients.map(async (s, i) => {
    const c = connections[i]!;
    try {
      while (!killed || !c.closed) await step(c, s);
    } catch (err) {
      if (!killed) throw err; // a failure before the kill is a real one
    } finally {
      c.close();
    }
  });
  const target = ackedOf(clients) + killAt;
  for (let waited = 0; ackedOf(clients) < target && waited < 30_000; waited += 20) await sleep(20);
  await sleep(Math.floor(Math.random() * 100));
  killed = true;
  await kill();
  await Promise.all(loops);
}

function suite(name: string, prepare: () => Promise<SharedStore>): void {
  describe(`SIGKILL during write storms on ${name}`, () => {
    let cleanup = async (): Promise<void> => undefined;
    let server: ServeProcess | undefined;
    after(async () => {
      await server?.kill();
      await cleanup();
    });

    it(`keeps every acknowledged write and shows no half-done one (${ROUNDS} kill points)`, async () => {
      const prepared = await prepare();
      cleanup = prepared.cleanup;
      const env = prepared.env;
      const store = openStore(loadConfig(env));
      try {
        await addUser(store.ctx, USER, PASSWORD);
        const { token } = await store.client.login(USER, PASSWORD);
        for (let c = 0; c < CLIENTS; c++) for (const x of ['a', 'b', 'r']) await store.client.call('mailbox.create', { token, path: `C${c}-${x}` });
        const clients = Array.from({ length: CLIENTS }, (_, i) => newClient(i));
        let acked = 0;
        let inFlight = 0;
        for (let round = 0; round < ROUNDS; round++) {
          server = await startServe(env);
          // Kill points spread over the storm: early (in the first commands), then later.
          await storm(server.imapPort, clients, 1 + round * 4, () => server!.kill());
          for (const s of clients) {
            if (s.pending) inFlight++;
            const actual = await actualOf(store, token, s);
            const before = render(s.model);
            const afterOp = s.pending ? render(s.pending(s.model)) : before;
            const seen = render(actual);
            assert.ok(seen === before || seen === afterOp, `client ${s.id} after kill ${round}:\n store ${seen}\n acked ${before}\n or   ${afterOp}`);
            s.model = actual; // the in-flight command's outcome, now known
            s.renamed = actual.has(`C${s.id}-s`);
            s.pending = undefined;
          }
          // The same check `stratus fsck` runs; the command itself once at the end (a process start is not free).
          const report = round < ROUNDS - 1 ? await fsck(store.ctx, { all: true }) : await fsckCli(env);
          const violations = report.violations.filter((v) => v.kind !== 'orphan-blob');
          assert.deepEqual(violations, [], `fsck after kill ${round}`);
          assert.ok(report.messages > 0 && report.users === 1, `fsck looked at the messages (${report.messages})`);
        }
        acked = ackedOf(clients);
        assert.ok(acked >= CLIENTS * ROUNDS, `the storms did work (${acked} acknowledged commands)`);
        assert.ok(inFlight > 0, 'the kills landed while writes were in flight');
      } finally {
        await store.close();
      }
    });
  });
}

// IMAPS off: a self-signed certificate per start is time the test does not need.
suite('SQLite + files', async () => sqliteStore({ STRATUS_IMAPS_PORT: 'off' }));
suite('DynamoDB Local + the S3 stand-in', async () => dynamoStore({ STRATUS_IMAPS_PORT: 'off' }));
