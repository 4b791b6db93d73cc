// The hint buses (in-process and Redis pub/sub with a real redis-server) and the commit path's hint.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { LocalHintBus, RedisHintBus, type Hint, type HintBus } from '../../src/notify/index.js';
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

  it('one hint per commit, with the committed MODSEQ; a failing publisher never fails a commit', async () => {
    const raw = Buffer.from('Subject: hi\r\n\r\nbody\r\n');
    const first = await client.append(token, 'INBOX', Readable.from([raw]), raw.length, [], Date.now());
    assert.deepEqual(hints.at(-1), { mailboxId: first.mailboxId, modseq: first.modseq });
    const stored = await client.call('message.store', { token, mailboxId: first.mailboxId, uids: [first.uid], mode: 'add', flags: ['\\Seen'] });
    assert.deepEqual(hints.at(-1), { mailboxId: first.mailboxId, modseq: stored.modseq });
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
