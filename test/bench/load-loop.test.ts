// The load generator's loop workload (bench/workload-loop.ts) end to end: against `stratus serve` on SQLite in a
// child process (2–3 clients, 2 rounds, both variants, every answer checked against the clients' models), then
// through a proxy that changes one number in the server's answers, which the checks must catch (a wrong EXPUNGE
// sequence number, SEARCH result, STATUS count, EXISTS). Last, when Debian's Dovecot is installed, the same loop
// against bench/dovecot/run.sh, whose users have SCRAM-SHA-256 passwords: without a full-text index (--fts none) and,
// when dovecot-fts-xapian is installed, with the Xapian one (--fts xapian), whose SEARCH answers must be as exact.
// Nothing here depends on timing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImapClient, ImapCommandError } from '../../bench/imap-client.js';
import { parseLoadOptions, runLoad } from '../../bench/load.js';
import type { LoadResult } from '../../bench/load.js';
import { addUser, REPO_ROOT, startStratus } from '../../bench/stratus-process.js';
import type { StratusServer } from '../../bench/stratus-process.js';
import { WorkloadCheckError } from '../../bench/workload.js';

const PICKS = 2;
const DELIVERIES = 2;

function loopOptions(port: number, extra: string[]): ReturnType<typeof parseLoadOptions> {
  return parseLoadOptions([
    '--port', String(port), '--password', 'pw', '--messages', '8', '--picks', String(PICKS), '--deliveries',
    String(DELIVERIES), '--rounds', '2', '--timeout-ms', '30000', '--max-seconds', '120', ...extra,
  ]);
}

/** Commands per client and round of the loop (workload-loop.ts), LOGIN/NOOP/LOGOUT aside. */
function perRound(): Array<[string, number]> {
  return [
    ['LIST', 1], ['STATUS', 2], ['SELECT', 1], ['FETCH-FLAGS', 1], ['FETCH-ENVELOPE', 1], ['FETCH-BODY', PICKS],
    ['FETCH-PARTIAL', PICKS], ['STORE', PICKS], ['STORE-DELETED', 1], ['EXPUNGE', 1], ['APPEND-SENT', 1],
    ['APPEND', DELIVERIES], ['SEARCH-UNSEEN', 1], ['SEARCH-FROM', 1], ['SEARCH-SUBJECT', 1], ['SEARCH-BODY', 1],
  ];
}

function counts(result: LoadResult): Map<string, number> {
  return new Map(result.commands.map((c) => [c.command, c.count]));
}

/**
 * A loopback proxy in front of `targetPort` that, once `after` has passed in the server's output (or at once),
 * rewrites the first match of `pattern` with `replace` (same length, so literal sizes stay right). The server's
 * output is handed on in whole lines, so a pattern never straddles two chunks.
 */
async function tamperingProxy(
  targetPort: number,
  pattern: RegExp,
  replace: (match: string) => string,
  after?: RegExp,
): Promise<{ port: number; tampered: () => boolean; close: () => Promise<void> }> {
  let armed = after === undefined;
  let done = false;
  const sockets: Socket[] = [];
  const server: Server = createServer((client) => {
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    sockets.push(client, upstream);
    let pending = '';
    client.on('data', (chunk: Buffer) => upstream.write(chunk));
    upstream.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1');
      const end = pending.lastIndexOf('\r\n');
      if (end < 0) return;
      let text = pending.slice(0, end + 2);
      pending = pending.slice(end + 2);
      let from = 0;
      if (!armed && after) {
        const trigger = after.exec(text);
        if (trigger) {
          armed = true;
          from = trigger.index + trigger[0].length;
        }
      }
      if (armed && !done) {
        const match = pattern.exec(text.slice(from));
        if (match) {
          const at = from + match.index;
          const replaced = replace(match[0]);
          assert.equal(replaced.length, match[0].length);
          text = text.slice(0, at) + replaced + text.slice(at + match[0].length);
          done = true;
        }
      }
      client.write(Buffer.from(text, 'latin1'));
    });
    const closeBoth = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', closeBoth);
    upstream.on('close', closeBoth);
    client.on('error', closeBoth);
    upstream.on('error', closeBoth);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    tampered: () => done,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The digit before the last one stays; the last digit changes (9 → 8, else + 1): same length, another number. */
function otherLastDigit(text: string, at: RegExp): string {
  return text.replace(at, (digits) => {
    const last = Number(digits.at(-1));
    return digits.slice(0, -1) + String(last === 9 ? 8 : last + 1);
  });
}

describe('bench/load.ts --workload loop against Stratus (embedded store)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'stratus-loop-test-'));
  let server: StratusServer | undefined;

  before(async () => {
    for (let i = 1; i <= 3; i++) await addUser(dataDir, `bench${i}@example.com`, 'pw');
    server = await startStratus({ dataDir, env: { STRATUS_STATS: '1' } });
  });

  after(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const port = (): number => {
    assert.ok(server, 'the server did not start');
    return server.port;
  };

  it('runs the loop for 3 clients × 2 rounds with LOGIN and LOGOUT in every round, every answer checked', async () => {
    const result = await runLoad(loopOptions(port(), ['--clients', '3']));
    assert.equal(result.workload, 'loop');
    assert.equal(result.exactlyCheckedClients, 3);
    const expected = new Map<string, number>([['LOGIN', 6], ...perRound().map(([c, n]): [string, number] => [c, n * 6]), ['LOGOUT', 6]]);
    assert.deepEqual(counts(result), expected);
    // The seeding is reported apart and is not in the table or the total.
    assert.deepEqual({ ...result.seeding, seconds: 0, appendsPerSecond: 0 }, { appends: 24, seconds: 0, appendsPerSecond: 0 });
    assert.equal(result.totalCount, [...expected.values()].reduce((a, b) => a + b, 0));
    assert.ok(result.commands.every((c) => c.clientCpuMs !== undefined), 'the generator CPU is measured for every command');
  });

  it('runs the kept-open variant: one LOGIN and LOGOUT per client, NOOP between rounds', async () => {
    const result = await runLoad(loopOptions(port(), ['--clients', '2', '--keep-open']));
    assert.equal(result.exactlyCheckedClients, 2);
    const got = counts(result);
    assert.equal(got.get('LOGIN'), 2);
    assert.equal(got.get('NOOP'), 2);
    assert.equal(got.get('LOGOUT'), 2);
    for (const [command, n] of perRound()) assert.equal(got.get(command), n * 4, command);
  });

  it('refuses options that do not fit the loop', () => {
    assert.throws(() => loopOptions(port(), ['--shared']), /--shared/);
    assert.throws(() => loopOptions(port(), ['--round-appends', '3']), /--round-appends/);
    assert.throws(() => parseLoadOptions(['--workload', 'classic', '--keep-open']), /--keep-open/);
    assert.throws(() => parseLoadOptions(['--workload', 'nonsense']), /--workload/);
  });

  const tamperCases: Array<{ name: string; pattern: RegExp; after?: RegExp; replace: (m: string) => string; error: RegExp }> = [
    {
      name: 'a wrong EXPUNGE sequence number',
      // Armed by the round's first STATUS, so the set-up's emptying EXPUNGE passes untouched.
      after: /\* STATUS /,
      pattern: /\* \d+ EXPUNGE\r\n/,
      replace: (m) => otherLastDigit(m, /\d+/),
      error: /EXPUNGE reported \[\d+\], expected \[\d+\]/,
    },
    {
      name: 'a wrong SEARCH result',
      pattern: /\* SEARCH \d+/,
      replace: (m) => otherLastDigit(m, /\d+$/),
      error: /SEARCH-\w+ returned \[[\d ]*\], expected/,
    },
    {
      name: 'a wrong STATUS count',
      pattern: /MESSAGES \d+/,
      replace: (m) => otherLastDigit(m, /\d+$/),
      error: /STATUS INBOX: MESSAGES \d+, expected \d+/,
    },
    {
      name: 'a wrong EXISTS on SELECT',
      // Armed by the round's first STATUS: the next EXISTS is the one SELECT INBOX sends.
      after: /\* STATUS /,
      pattern: /\* \d+ EXISTS\r\n/,
      replace: (m) => otherLastDigit(m, /\d+(?= EXISTS)/),
      error: /SELECT: EXISTS \d+, expected \d+/,
    },
  ];
  for (const c of tamperCases) {
    it(`fails the run on ${c.name}`, async () => {
      const proxy = await tamperingProxy(port(), c.pattern, c.replace, c.after);
      try {
        await assert.rejects(runLoad(loopOptions(proxy.port, ['--clients', '1'])), (error: unknown) => {
          assert.ok(error instanceof WorkloadCheckError, `not a check failure: ${String(error)}`);
          assert.match(error.message, c.error);
          return true;
        });
        assert.ok(proxy.tampered(), 'the proxy changed nothing');
      } finally {
        await proxy.close();
      }
    });
  }

  it('passes through the same proxy when it changes nothing', async () => {
    const proxy = await tamperingProxy(port(), /(?!)/, (m) => m);
    try {
      const result = await runLoad(loopOptions(proxy.port, ['--clients', '1']));
      assert.equal(result.exactlyCheckedClients, 1);
    } finally {
      await proxy.close();
    }
  });
});

const DOVECOT = ['/usr/sbin/dovecot', '/usr/bin/doveadm'].every((p) => existsSync(p));
// run.sh --fts xapian needs Debian's dovecot-fts-xapian; without it only --fts none runs here.
const XAPIAN = existsSync('/usr/lib/dovecot/modules/lib21_fts_xapian_plugin.so');

for (const fts of ['none', 'xapian'] as const) {
  const skip = !DOVECOT ? 'Dovecot is not installed' : fts === 'xapian' && !XAPIAN ? 'dovecot-fts-xapian is not installed' : false;
  describe(`bench/dovecot/run.sh --fts ${fts} (SCRAM-SHA-256 passwords) with the loop workload`, { skip }, () => {
    let child: ChildProcess | undefined;
    let port = 0;
    let output = '';

    before(async () => {
      // A free port: bind to 0, read it, let go (run.sh needs a number).
      const probe = createServer();
      await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
      port = (probe.address() as AddressInfo).port;
      await new Promise<void>((resolve) => probe.close(() => resolve()));
      const args = [join(REPO_ROOT, 'bench/dovecot/run.sh'), '--port', String(port), '--users', '2', '--password', 'pw', '--fts', fts];
      child = spawn('bash', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
      const deadline = Date.now() + 30_000;
      for (;;) {
        try {
          const client = await ImapClient.connect({ host: '127.0.0.1', port, timeoutMs: 5000 });
          client.close();
          break;
        } catch (error) {
          if (Date.now() > deadline || child.exitCode !== null) throw new Error(`Dovecot did not start: ${String(error)}\n${output}`);
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }
    });

    after(async () => {
      if (child && child.exitCode === null) {
        const exited = new Promise((resolve) => child?.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
    });

    it('stores SCRAM-SHA-256 secrets of 4096 iterations and says which full-text search runs', () => {
      assert.match(output, /stored as SCRAM-SHA-256, 4096 iterations/);
      assert.match(output, new RegExp(`^full-text search: ${fts} `, 'm'));
      const hash = spawnSync('doveadm', ['pw', '-s', 'SCRAM-SHA-256', '-p', 'pw'], { encoding: 'utf8' }).stdout.trim();
      assert.match(hash, /^\{SCRAM-SHA-256\}4096,/);
    });

    it('runs the loop with every answer checked, and refuses a wrong password', async () => {
      const result = await runLoad(loopOptions(port, ['--clients', '2']));
      assert.equal(result.exactlyCheckedClients, 2);
      assert.equal(counts(result).get('LOGIN'), 4);
      // With xapian the SEARCHes were answered from an index the plugin wrote under the user's Maildir (its
      // INBOX has a database of its own); with none there is no such directory.
      const base = /data in (\S+)/.exec(output)?.[1];
      assert.ok(base, output);
      const indexes = join(base, 'home/bench1@example.com/Maildir/xapian-indexes');
      assert.equal(existsSync(indexes) && readdirSync(indexes).some((name) => name.startsWith('db_')), fts === 'xapian');
      await assert.rejects(
        runLoad(parseLoadOptions(['--port', String(port), '--password', 'wrong', '--clients', '1', '--messages', '1'])),
        (error: unknown) => error instanceof ImapCommandError && error.command === 'LOGIN',
      );
    });
  });
}
