// The hint buses (in-process and Redis pub/sub with a real redis-server) and the commit path's hint.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { EventEmitter } from 'node:events';
import { IpcHintBus, LocalHintBus, RedisHintBus, hintMessageOf, isHintMessage, type Hint, type HintBus, type HintChange } from '../../src/notify/index.js';
import { hintPayload, parseHintPayload } from '../../src/notify/redis-bus.js';
import type { IpcChannel } from '../../src/notify/ipc-bus.js';
import { startRedis, type RunningRedis } from './redis-server.js';
import { sqliteBackend, type TestBackend } from '../backends.js';
import { addUser } from '../../src/mailstore/directory.js';
import { InlineInvoker } from '../../src/mailstore/invoker.js';
import { MailStoreClient } from '../../src/mailstore/client.js';

const WAIT_MS = 10_000;

/** The next hint `bus` delivers for `mailboxId` (bounded wait). */
function nextHint(bus: HintBus, mailboxId: string): { hint: Promise<Hint>; stop: () => void } {
  let stop: () => void = () => undefined;
  const hint = new Promise<Hint>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no hint for ${mailboxId} within ${WAIT_MS} ms`)), WAIT_MS);
    stop = bus.subscribe(mailboxId, (h) => {
      clearTimeout(timer);
      resolve(h);
    });
  });
  return { hint, stop };
}

describe('LocalHintBus', () => {
  it('delivers to the mailbox subscribers only, after the publishing call returns', async () => {
    const bus = new LocalHintBus();
    const other: Hint[] = [];
    const stopOther = bus.subscribe('mbx-b', (h) => other.push(h));
    const { hint, stop } = nextHint(bus, 'mbx-a');
    let returned = false;
    bus.publish({ mailboxId: 'mbx-a', modseq: 7 });
    returned = true;
    const got = await hint;
    assert.ok(returned);
    assert.deepEqual(got, { mailboxId: 'mbx-a', modseq: 7 });
    assert.deepEqual(other, []);
    stop();
    stopOther();
    await bus.close();
  });

  it('a throwing listener does not keep the others from their hint', async () => {
    const errors: unknown[] = [];
    const bus = new LocalHintBus((err) => errors.push(err));
    bus.subscribe('m', () => {
      throw new Error('listener bug');
    });
    const { hint } = nextHint(bus, 'm');
    bus.publish({ mailboxId: 'm', modseq: 2 });
    assert.equal((await hint).modseq, 2);
    assert.equal(errors.length, 1);
  });
});

describe('RedisHintBus with a real redis-server', () => {
  let redis: RunningRedis;
  let a: RedisHintBus;
  let b: RedisHintBus;

  before(async () => {
    redis = await startRedis();
    a = await RedisHintBus.connect(redis.url);
    b = await RedisHintBus.connect(redis.url);
  });
  after(async () => {
    await a.close();
    await b.close();
    await redis.stop();
  });

  it('carries a hint from one process-level bus to another, and locally at once', async () => {
    const remote = nextHint(b, 'mbx-1');
    const local = nextHint(a, 'mbx-1');
    // SUBSCRIBE is asynchronous: publish until the remote side has it (each publish is a legal duplicate hint).
    const ticker = setInterval(() => a.publish({ mailboxId: 'mbx-1', modseq: 42 }), 50);
    try {
      assert.deepEqual(await remote.hint, { mailboxId: 'mbx-1', modseq: 42 });
      assert.deepEqual(await local.hint, { mailboxId: 'mbx-1', modseq: 42 });
    } finally {
      clearInterval(ticker);
      remote.stop();
      local.stop();
    }
  });

  it('ignores its own echo from Redis and stops delivering after unsubscribe', async () => {
    const seen: Hint[] = [];
    const stopSeen = a.subscribe('mbx-2', (h) => seen.push(h));
    // Until a receives b's hints, a's own Redis subscription is not active yet.
    const ready = nextHint(a, 'mbx-2');
    const readyTicker = setInterval(() => b.publish({ mailboxId: 'mbx-2', modseq: 100 }), 50);
    await ready.hint;
    clearInterval(readyTicker);
    ready.stop();
    seen.length = 0;
    a.publish({ mailboxId: 'mbx-2', modseq: 6 });
    // A marker from b, published after a's hint went out: a's echo (if it were delivered) would come before it.
    const marker = nextHint(a, 'mbx-2');
    const markTicker = setInterval(() => b.publish({ mailboxId: 'mbx-2', modseq: 1000 }), 50);
    await marker.hint;
    clearInterval(markTicker);
    marker.stop();
    assert.equal(seen.filter((h) => h.modseq === 6).length, 1, 'delivered locally once, echo ignored');
    stopSeen();
    const before = seen.length;
    a.publish({ mailboxId: 'mbx-2', modseq: 7 });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(seen.length, before, 'no delivery after unsubscribe');
  });

  it('publish never throws, even after close', async () => {
    const bus = await RedisHintBus.connect(redis.url);
    await bus.close();
    assert.doesNotThrow(() => bus.publish({ mailboxId: 'x', modseq: 1 }));
  });

  it('connect fails clearly when Redis is not there', async () => {
    await assert.rejects(RedisHintBus.connect('redis://127.0.0.1:1'), /cannot connect to Redis/);
  });
});

describe('the commit path publishes hints', () => {
  let backend: TestBackend;
  let client: MailStoreClient;
  let token: string;
  const hints: Hint[] = [];

  before(async () => {
    backend = await sqliteBackend.open();
    backend.ctx.publishHint = (h) => hints.push(h);
    client = new MailStoreClient(new InlineInvoker(backend.ctx), backend.blob);
    await addUser(backend.ctx, 'hint@example.com', 'pw');
    token = (await client.login('hint@example.com', 'pw')).token;
  });
  after(() => backend.close());

  it('one hint per commit, with the committed MODSEQ and its change as the log reads it back; a failing publisher never fails a commit', async () => {
    const raw = Buffer.from('Subject: hi\r\n\r\nbody\r\n');
    /** The hint's change is exactly what `mailbox.changes` gives for its commit (the one code path, log-entry.ts). */
    const asLogged = async (mailboxId: string, modseq: number) => {
      const log = await client.call('mailbox.changes', { token, mailboxId, since: modseq - 1 });
      return { mailboxId, modseq, change: { entries: log.entries, status: log.status } };
    };
    const first = await client.append(token, 'INBOX', Readable.from([raw]), raw.length, ['\\Flagged', 'Work'], Date.now());
    assert.deepEqual(hints.at(-1), await asLogged(first.mailboxId, first.modseq));
    const stored = await client.call('message.store', { token, mailboxId: first.mailboxId, uids: [first.uid], mode: 'add', flags: ['\\Seen'] });
    assert.deepEqual(hints.at(-1), await asLogged(first.mailboxId, stored.modseq));
    await client.call('mailbox.create', { token, path: 'Box two' });
    const moved = await client.call('message.move', { token, mailboxId: first.mailboxId, uids: [first.uid], to: 'Box two' });
    const destination = moved.destinationChange!.status.mailboxId;
    assert.deepEqual(hints.slice(-2), [await asLogged(first.mailboxId, moved.sourceModseq), await asLogged(destination, moved.destinationChange!.status.highestModseq)]);
    const count = hints.length;
    // A no-op STORE commits nothing and publishes nothing.
    await client.call('message.store', { token, mailboxId: first.mailboxId, uids: [first.uid], mode: 'add', flags: ['\\Seen'] });
    assert.equal(hints.length, count);

    backend.ctx.publishHint = () => {
      throw new Error('bus down');
    };
    const second = await client.append(token, 'INBOX', Readable.from([raw]), raw.length, [], Date.now());
    assert.equal(second.uid, first.uid + 1);
  });
});

describe('a hint with its change on the wire', () => {
  const status = {
    mailboxId: 'mbx-c',
    path: 'Shared Folders/Team A', // spaces: the Redis payload must keep them out of its words
    uidValidity: 7,
    uidNext: 13,
    highestModseq: 42,
    messages: 12,
    unseen: 3,
    deleted: 0,
    bytes: 4096,
    keywords: ['$Label1', 'Work'],
    specialUse: null,
  };
  const change: HintChange = {
    entries: [{ modseq: 42, op: 'F', by: 'session 1', uids: [3, 9], flags: [1, 8], keywords: [['Work'], []] }],
    status,
  };
  const hint: Hint = { mailboxId: 'mbx-c', modseq: 42, change };
  /** How a frontend before this change read a payload (redis-bus.ts until then). */
  const oldParse = (payload: string) => {
    const space = payload.indexOf(' ');
    return { origin: payload.slice(0, space), modseq: Number(payload.slice(space + 1)) };
  };

  it('Redis: round trip with spaces in strings; an older frontend still reads origin and MODSEQ', () => {
    const payload = hintPayload('origin-1', hint);
    assert.equal(payload.split(' ').length, 2, 'one space, before the MODSEQ');
    assert.deepEqual(parseHintPayload('mbx-c', payload), { origin: 'origin-1', hint });
    const old = oldParse(payload);
    assert.equal(old.modseq, 42);
    assert.notEqual(old.origin, 'origin-1', 'the change rides in what an older frontend takes for the origin: never its own');
    // And the old payload still parses here.
    assert.deepEqual(parseHintPayload('mbx-c', 'origin-2 42'), { origin: 'origin-2', hint: { mailboxId: 'mbx-c', modseq: 42 } });
  });

  it('Redis: a change over 8 KiB goes as the plain hint', () => {
    const uids = Array.from({ length: 3000 }, (_, i) => i + 1);
    const big: Hint = { mailboxId: 'mbx-c', modseq: 42, change: { entries: [{ modseq: 42, op: 'X', by: 's', uids }], status } };
    assert.equal(hintPayload('o', big), 'o 42');
    const keywords = ['k'.repeat(250)];
    const wide: Hint = {
      mailboxId: 'mbx-c',
      modseq: 42,
      change: { entries: [{ modseq: 42, op: 'F', by: 's', uids: uids.slice(0, 40), flags: uids.slice(0, 40).map(() => 0), keywords: uids.slice(0, 40).map(() => keywords) }], status },
    };
    assert.equal(hintPayload('o', wide), 'o 42', 'few UIDs, long keywords: measured, not guessed');
  });

  it('Redis: a malformed or foreign change never throws and leaves the plain hint', () => {
    const plain = { mailboxId: 'mbx-c', modseq: 42 };
    const bad = [
      'o|{not json 42',
      'o|null 42',
      'o|[] 42',
      `o|${JSON.stringify({ ...change, status: { ...status, mailboxId: 'other' } })} 42`, // another mailbox's
      `o|${JSON.stringify(change)} 43`, // does not end at the hint's MODSEQ
      `o|${JSON.stringify({ entries: [{ ...change.entries[0], flags: [1] }], status })} 42`, // columns of different lengths
      `o|${JSON.stringify({ entries: [{ modseq: 42, op: 'A', by: 's', added: { uids: [1] } }], status })} 42`,
      `o|${JSON.stringify({ entries: [{ modseq: 42, op: 'Z', by: 's' }], status })} 42`,
      `o|${JSON.stringify({ entries: [{ modseq: 41, op: 'N', by: 's' }], status })} 42`, // not dense up to 42
      `o|${JSON.stringify({ entries: [{ modseq: 42, op: 'X', by: 's', uids: [-1] }], status })} 42`,
      `o|${'x'.repeat(9000)} 42`,
    ];
    for (const payload of bad) {
      const modseq = Number(payload.slice(payload.lastIndexOf(' ') + 1));
      assert.deepEqual(parseHintPayload('mbx-c', payload), { origin: 'o', hint: { ...plain, modseq } }, payload.slice(0, 80));
    }
    for (const payload of ['', 'o', 'o x', 'o|{} 0', 'o -1']) assert.equal(parseHintPayload('mbx-c', payload), undefined, payload);
  });

  it('IPC: the change travels to the other workers; a malformed one is dropped, the hint kept', async () => {
    const a = new EventEmitter() as EventEmitter & IpcChannel;
    const b = new EventEmitter() as EventEmitter & IpcChannel;
    // The primary (workers.ts) relays what hintMessageOf gives; node's IPC is JSON.
    a.send = (message: unknown) => {
      const relayed = hintMessageOf(JSON.parse(JSON.stringify(message)));
      if (relayed) queueMicrotask(() => b.emit('message', relayed));
      return true;
    };
    const busA = new IpcHintBus(a);
    const busB = new IpcHintBus(b);
    const got: Hint[] = [];
    busB.subscribe('mbx-c', (h) => got.push(h));
    busA.publish(hint);
    await until(() => got.length === 1);
    assert.deepEqual(got[0], hint);
    assert.ok(isHintMessage({ type: 'stratus:hint', hint }));
    const broken = { type: 'stratus:hint', hint: { ...hint, change: { ...change, entries: [{ modseq: 42, op: 'F', by: 's', uids: [1], flags: [], keywords: [] }] } } };
    assert.equal(isHintMessage(broken), false);
    assert.deepEqual(hintMessageOf(broken), { type: 'stratus:hint', hint: { mailboxId: 'mbx-c', modseq: 42 } });
    b.emit('message', broken);
    await until(() => got.length === 2);
    assert.deepEqual(got[1], { mailboxId: 'mbx-c', modseq: 42 });
    await busA.close();
    await busB.close();
  });
});

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !cond(); i++) await new Promise((resolve) => setTimeout(resolve, 2));
  assert.ok(cond(), 'condition never held');
}
