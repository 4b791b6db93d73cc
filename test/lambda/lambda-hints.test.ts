// With the lambda invoker, commits happen in the functions, so the functions publish the change hints (issue 5):
// a frontend calling the functions through the Lambda Invoke API (a local HTTP stand-in, the real
// @aws-sdk/client-lambda) on DynamoDB Local + the S3 stand-in, with a real redis-server between the functions and the
// frontend. An IDLE client sees EXISTS and FETCH FLAGS for changes another client made through the functions,
// although the frontend's safety poll is an hour away. And the publisher on its own: a hint is on Redis when
// `flush()` resolves; an unreachable Redis delays an answer by a bounded time and never fails it.
import { awsStoreSettings } from '../e2e/two-process-stores.js';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { ImapFlow } from 'imapflow';
import { pino } from 'pino';
import { FUNCTION_OF } from '../../src/mailstore/functions.js';
import { loadConfig } from '../../src/config.js';
import { startServer, type RunningServer } from '../../src/server/main.js';
import { addUser } from '../../src/mailstore/directory.js';
import { hintsFromConfig, makeLambdaHandler, type FunctionEvent, type FunctionFamily } from '../../src/server/lambda.js';
import { RedisHintBus, RedisHintPublisher, type Hint } from '../../src/notify/index.js';
import { startRedis, type RunningRedis } from '../notify/redis-server.js';
import { RawClient } from '../e2e/raw-client.js';
import { within } from '../e2e/two-frontends.js';

type Handler = (event: FunctionEvent) => Promise<unknown>;

/** The Lambda Invoke API's one route, POST /2015-03-31/functions/{name}/invocations, answered by `handlers`. */
async function startInvokeApi(handlers: Record<string, Handler>): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const m = /^\/2015-03-31\/functions\/([^/]+)\/invocations/.exec(req.url ?? '');
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const handler = m ? handlers[decodeURIComponent(m[1]!)] : undefined;
      if (!handler) {
        res.writeHead(404, { 'content-type': 'application/json', 'x-amzn-errortype': 'ResourceNotFoundException' });
        res.end('{}');
        return;
      }
      handler(JSON.parse(Buffer.concat(chunks).toString('utf8')) as FunctionEvent).then(
        (result) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(result));
        },
        (err: unknown) => {
          res.writeHead(200, { 'content-type': 'application/json', 'x-amz-function-error': 'Unhandled' });
          res.end(JSON.stringify({ errorMessage: err instanceof Error ? err.message : String(err) }));
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}


/** Every family (the stack gives the frontend fewer; more does no harm here and keeps aws-cdk-lib out of the test). */
const FRONTEND_FAMILIES = [...new Set(Object.values(FUNCTION_OF))];

describe('functions publish hints when the frontend uses the lambda invoker', () => {
  let dir: string;
  let redis: RunningRedis;
  let api: Awaited<ReturnType<typeof startInvokeApi>>;
  let server: RunningServer;
  const publishers: RedisHintPublisher[] = [];
  const user = `hank-${randomUUID().slice(0, 8)}@example.net`;
  const password = 'pw-hints-from-functions';

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stratus-lambda-hints-'));
    redis = await startRedis();
    // Fresh tables on DynamoDB Local and the settings the stack gives every function (cdk/stack.ts), pointed at the
    // local services; the handlers read process.env on their first invocation, as in Lambda.
    Object.assign(process.env, {
      ...(await awsStoreSettings('lh')),
      STRATUS_PRESIGN_SECONDS: '300',
      STRATUS_REDIS_URL: redis.url,
      STRATUS_LOG_LEVEL: 'warn',
    });
    const handlers: Record<string, Handler> = {};
    for (const family of FRONTEND_FAMILIES) {
      // Each family its own container: its own store and its own publisher (kept here to be closed at the end).
      const hints = (): RedisHintPublisher | undefined => {
        const publisher = hintsFromConfig();
        if (publisher) publishers.push(publisher);
        return publisher;
      };
      handlers[`stratus-${family}`] = makeLambdaHandler(family as FunctionFamily, undefined, hints);
    }
    api = await startInvokeApi(handlers);

    // The frontend: no token key, functions by name, hints from Redis, and no safety poll within the test's time.
    const env: Record<string, string | undefined> = { ...process.env, STRATUS_TOKEN_KEY: undefined, STRATUS_PRESIGN_SECONDS: undefined };
    Object.assign(env, {
      STRATUS_FUNCTIONS: 'lambda',
      STRATUS_LAMBDA_ENDPOINT: api.url,
      STRATUS_LAMBDA_TIMEOUT_MS: '5000',
      STRATUS_IMAP_PORT: '0',
      STRATUS_ADMIN_PORT: 'off',
      STRATUS_POP3_PORT: 'off',
      STRATUS_LMTP_PORT: 'off',
      STRATUS_HEALTH_PORT: 'off',
      STRATUS_ALLOW_PLAINTEXT_AUTH: 'true',
      STRATUS_AUTH_FAILURE_DELAY_MS: '10',
      STRATUS_MAILBOX_POLL_MS: '3600000',
      STRATUS_DATA_DIR: dir,
    });
    for (const family of FRONTEND_FAMILIES) env[`STRATUS_FUNCTION_${family.toUpperCase()}`] = `stratus-${family}`;
    server = await startServer(loadConfig(env), pino({ level: 'silent' }));
    await addUser(server.store.ctx, user, password);
  });

  after(async () => {
    await server?.stop();
    await api?.close();
    await Promise.all(publishers.map((p) => p.close()));
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an IDLE client sees EXISTS and FETCH FLAGS for changes committed by the functions', async () => {
    const idler = await RawClient.connect(server.imapPort!);
    const writer = new ImapFlow({ host: '127.0.0.1', port: server.imapPort!, secure: false, logger: false, auth: { user, pass: password }, disableAutoIdle: true });
    try {
      assert.match(await within(idler.command('L', `LOGIN "${user}" "${password}"`), 'LOGIN'), /L OK/);
      const selected = await within(idler.command('S', 'SELECT INBOX'), 'SELECT');
      assert.match(selected, /\* 0 EXISTS/);
      idler.write('I IDLE\r\n');
      await within(idler.until((t) => t.includes('+ idling')), '+ idling');

      await writer.connect();
      const appended = await writer.append('INBOX', Buffer.from('Subject: via the functions\r\n\r\nbody\r\n'));
      assert.ok(appended && appended.uid === 1);
      await within(idler.until((t) => /\* 1 EXISTS\r\n/.test(t)), 'EXISTS for an APPEND committed in a function');
      const lock = await writer.getMailboxLock('INBOX');
      try {
        await writer.messageFlagsAdd('1', ['\\Flagged'], { uid: true });
      } finally {
        lock.release();
      }
      await within(idler.until((t) => /\* 1 FETCH \([^\r]*\\Flagged/.test(t)), 'FETCH FLAGS for a STORE committed in a function');
      idler.write('DONE\r\n');
      await within(idler.until((t) => /I OK[^\r]*\r\n/.test(t)), 'tagged OK after DONE');
    } finally {
      idler.close();
      await writer.logout();
    }
  });
});

describe('RedisHintPublisher', () => {
  let redis: RunningRedis;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis?.stop();
  });

  it('a hint is on Redis once flush() resolves, with the payload the frontends read', async () => {
    const bus = await RedisHintBus.connect(redis.url);
    const publisher = new RedisHintPublisher(redis.url);
    try {
      const got: Hint[] = [];
      bus.subscribe('mbx-p', (h) => got.push(h));
      // SUBSCRIBE is asynchronous: publish until the subscriber has one (each is a legal duplicate hint).
      for (let attempt = 0; got.length === 0; attempt++) {
        assert.ok(attempt < 200, 'no hint reached the subscriber');
        publisher.publish({ mailboxId: 'mbx-p', modseq: 9 });
        await publisher.flush();
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      assert.deepEqual(got[0], { mailboxId: 'mbx-p', modseq: 9 });
    } finally {
      await publisher.close();
      await bus.close();
    }
  });

  it("a commit's change travels with its hint (src/notify/hint-change.ts), for the frontends to take without a read", async () => {
    const bus = await RedisHintBus.connect(redis.url);
    const publisher = new RedisHintPublisher(redis.url);
    const status = { mailboxId: 'mbx-q', path: 'My Folder', uidValidity: 1, uidNext: 5, highestModseq: 12, messages: 4, unseen: 4, deleted: 0, bytes: 100, keywords: [], specialUse: null };
    const hint: Hint = { mailboxId: 'mbx-q', modseq: 12, change: { entries: [{ modseq: 12, op: 'X', by: 'a session', uids: [2] }], status } };
    try {
      const got: Hint[] = [];
      bus.subscribe('mbx-q', (h) => got.push(h));
      for (let attempt = 0; got.length === 0; attempt++) {
        assert.ok(attempt < 200, 'no hint reached the subscriber');
        publisher.publish(hint);
        await publisher.flush();
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      assert.deepEqual(got[0], hint);
    } finally {
      await publisher.close();
      await bus.close();
    }
  });

  it('with Redis unreachable, publish never throws and flush returns (bounded), reporting the error', async () => {
    const errors: unknown[] = [];
    const publisher = new RedisHintPublisher('redis://127.0.0.1:1', { flushTimeoutMs: 200, onError: (err) => errors.push(err) });
    assert.doesNotThrow(() => publisher.publish({ mailboxId: 'x', modseq: 1 }));
    await within(publisher.flush(), 'a bounded flush', 5_000);
    await publisher.close();
  });
});
