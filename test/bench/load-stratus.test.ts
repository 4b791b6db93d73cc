// The load generator's classic workload end to end against Stratus itself (the loop workload: load-loop.test.ts),
// started as a user starts it: `stratus serve` in a child process on a temporary STRATUS_DATA_DIR and a free
// loopback port, users added with `stratus user add`, store-call counting on (STRATUS_STATS=1). A small run with
// every answer checked, then SIGTERM: the server must exit 0 and log its per-command store calls. Nothing here
// depends on timing; the figures belong in bench/RESULTS.md.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImapCommandError } from '../../bench/imap-client.js';
import { parseLoadOptions, runLoad } from '../../bench/load.js';
import { addUser, startStratus } from '../../bench/stratus-process.js';
import type { StratusExit, StratusServer } from '../../bench/stratus-process.js';

const CLIENTS = 2;
const MESSAGES = 10;
const PICKS = 3;

describe('bench/load.ts --workload classic against Stratus (embedded store)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'stratus-load-test-'));
  let server: StratusServer | undefined;
  let exit: StratusExit | undefined;

  before(async () => {
    for (let i = 1; i <= CLIENTS; i++) await addUser(dataDir, `bench${i}@example.com`, 'pw');
    server = await startStratus({ dataDir, env: { STRATUS_STATS: '1' } });
  });

  after(async () => {
    await server?.stop(); // no-op when the last test stopped it already
    rmSync(dataDir, { recursive: true, force: true });
  });

  const port = (): string => {
    assert.ok(server, 'the server did not start');
    return String(server.port);
  };

  it('runs the whole workload for two users, with every answer checked exactly', async () => {
    const options = parseLoadOptions([
      '--workload', 'classic',
      '--port', port(), '--password', 'pw', '--clients', String(CLIENTS), '--messages', String(MESSAGES),
      '--picks', String(PICKS), '--timeout-ms', '30000', '--max-seconds', '120',
    ]);
    const result = await runLoad(options);
    assert.equal(result.exactlyCheckedClients, CLIENTS);
    const n = CLIENTS;
    const picks = CLIENTS * PICKS;
    assert.deepEqual(
      result.commands.map((c) => [c.command, c.count]),
      [
        ['LOGIN', n], ['APPEND', n * MESSAGES], ['SELECT', n], ['FETCH-FLAGS', n], ['FETCH-META', n],
        ['FETCH-ENVELOPE', picks], ['FETCH-BODY', picks], ['FETCH-PARTIAL', picks], ['STORE', picks],
        ['SEARCH-UNSEEN', n], ['SEARCH-FROM', n], ['SEARCH-SUBJECT', n], ['SEARCH-BODY', n], ['LOGOUT', n],
      ],
    );
  });

  it('fails the run when a login is refused', async () => {
    const options = parseLoadOptions(['--workload', 'classic', '--port', port(), '--password', 'wrong', '--clients', '2', '--messages', '1']);
    await assert.rejects(runLoad(options), (error: unknown) => error instanceof ImapCommandError && error.command === 'LOGIN');
  });

  it('stops on SIGTERM with exit status 0 and logs the store calls of every command it ran', async () => {
    assert.ok(server, 'the server did not start');
    exit = await server.stop();
    assert.equal(exit.signal, null, `killed by ${String(exit.signal)}:\n${exit.stderr}`);
    assert.equal(exit.code, 0, `exit ${String(exit.code)}:\n${exit.stderr}`);
    const stats = exit.stats;
    assert.ok(stats, `no "command stats" line in the server's output:\n${exit.stdout.slice(-2000)}`);

    // Each command the clients sent is counted once under its name; FETCH and SEARCH cover all their forms.
    const picks = CLIENTS * PICKS;
    assert.equal(stats.APPEND?.count, CLIENTS * MESSAGES);
    assert.equal(stats.SELECT?.count, CLIENTS);
    assert.equal(stats.FETCH?.count, CLIENTS * 2 + picks * 3);
    assert.equal(stats.STORE?.count, picks);
    assert.equal(stats.SEARCH?.count, CLIENTS * 4);
    assert.ok((stats.LOGIN?.count ?? 0) >= CLIENTS);
    // APPEND puts the message's bytes into the blob store (DESIGN.md: the raw message is a blob).
    assert.ok((stats.APPEND?.blob ?? 0) >= CLIENTS * MESSAGES, `APPEND made ${String(stats.APPEND?.blob)} blob calls`);
  });
});
