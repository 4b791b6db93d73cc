// End-to-end fixture: the server exactly as `stratus serve` wires it (config from STRATUS_* variables, embedded
// SQLite + files in a temp dir, IMAP on 127.0.0.1:0), plus one user. The store's ports are metered, so tests can
// count store calls per command (calls, not time).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { ImapFlow } from 'imapflow';
import { awsStoreSettings } from './two-process-stores.js';
import { pino } from 'pino';
import type { CallMeter } from '../../src/storage/metered.js';
import type { StoreContext } from '../../src/mailstore/context.js';
import { addUser } from '../../src/mailstore/directory.js';
import { loadConfig } from '../../src/config.js';
import { startServer } from '../../src/server/main.js';

export interface Fixture {
  port: number;
  /** The POP3 listener's port. */
  pop3Port: number;
  /** The LMTP listener's port. */
  lmtpPort: number;
  user: string;
  password: string;
  meter: CallMeter;
  /** The server's store context (tests that set up tenants and users beyond the one user). */
  ctx: StoreContext;
  /** Log lines the connections wrote at warn/error level (a test can assert no SERVERBUG happened). */
  problems: object[];
  /** An ImapFlow client, not yet connected. */
  client(options?: { user?: string; password?: string }): ImapFlow;
  /** Connects and logs in an ImapFlow client. */
  connect(): Promise<ImapFlow>;
  /** Waits until every connection open now has finished its command in progress and closed (shutting it down). */
  settle(): Promise<void>;
  close(): Promise<void>;
}

export interface FixtureOptions {
  allowPlaintextAuth?: boolean;
  maxLiteralBytes?: number;
  maxLineBytes?: number;
  maxMessageBytes?: number;
  /** Further STRATUS_* settings (e.g. OAuth, limits and timeouts), applied last. */
  env?: Record<string, string>;
  /** 'aws': DynamoDB Local + the S3 stand-in of `node test/run.mjs` (fresh tables), instead of SQLite + files. */
  backend?: 'embedded' | 'aws';
}

export async function startFixture(options: FixtureOptions = {}): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-e2e-'));
  const config = loadConfig({
    STRATUS_DATA_DIR: dir,
    STRATUS_IMAP_PORT: '0',
    STRATUS_ADMIN_PORT: '0',
    STRATUS_LMTP_PORT: '0',
    STRATUS_POP3_PORT: '0',
    STRATUS_ALLOW_PLAINTEXT_AUTH: String(options.allowPlaintextAuth ?? true),
    STRATUS_MAX_LINE_BYTES: String(options.maxLineBytes ?? 64 * 1024),
    STRATUS_MAX_LITERAL_BYTES: String(options.maxLiteralBytes ?? 64 * 1024),
    STRATUS_MAX_MESSAGE_BYTES: String(options.maxMessageBytes ?? 64 * 1024 * 1024),
    STRATUS_AUTH_FAILURE_DELAY_MS: '10',
    STRATUS_LOG_LEVEL: 'warn',
    ...(options.backend === 'aws' ? await awsStoreSettings('fx') : {}),
    // `STRATUS_FUNCTION_THREADS=1 node test/run.mjs test/e2e/…` runs the same tests with the functions in a thread.
    ...(process.env.STRATUS_FUNCTION_THREADS ? { STRATUS_FUNCTION_THREADS: process.env.STRATUS_FUNCTION_THREADS } : {}),
    ...options.env,
  });
  // Warnings and errors the server logs (a test can assert that no SERVERBUG happened).
  const problems: object[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) problems.push(JSON.parse(line) as object);
      done();
    },
  });
  const server = await startServer(config, pino({ level: 'warn' }, sink));
  const port = server.imapPort!;
  const user = 'alice@example.com';
  const password = 'correct horse battery staple';
  await addUser(server.store.ctx, user, password);

  const client = (o: { user?: string; password?: string } = {}): ImapFlow =>
    new ImapFlow({
      host: '127.0.0.1',
      port,
      secure: false,
      logger: false,
      auth: { user: o.user ?? user, pass: o.password ?? password },
      disableAutoIdle: true,
    });

  return {
    port,
    pop3Port: server.pop3Port!,
    lmtpPort: server.lmtpPort!,
    user,
    password,
    meter: server.store.meter,
    ctx: server.store.ctx,
    problems,
    client,
    async connect() {
      const c = client();
      await c.connect();
      return c;
    },
    async settle() {
      await server.closeConnections('Settling');
    },
    async close() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
