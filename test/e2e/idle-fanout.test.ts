// Many sessions idling on one mailbox (issue 5 "Idle connections are cheap"), counted, not timed: an idling session
// holds no Timeout of its own (one autologout clock and one keepalive ticker for the process), and one change
// reaches N idling sessions for the same store calls as it reaches one (one change-log read per hint and process,
// one \Recent claim per message and process), every session getting its `* k EXISTS`.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { loadConfig } from '../../src/config.js';
import { startServer, type RunningServer } from '../../src/server/main.js';
import { addUser } from '../../src/mailstore/directory.js';
import { CallMeter, type CallCounts } from '../../src/storage/metered.js';
import { processAutologout } from '../../src/imap/session/autologout.js';
import { rawLogin, within, type Frontends } from './two-frontends.js';
import type { RawClient } from './raw-client.js';

const IDLERS = 40;

const timeouts = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('IDLE fan-out to many sessions of one process', () => {
  let dir: string;
  let server: RunningServer;
  let f: Frontends;
  const clients: RawClient[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stratus-idle-fanout-'));
    const config = loadConfig({
      STRATUS_DATA_DIR: dir,
      STRATUS_IMAP_PORT: '0',
      STRATUS_IMAPS_PORT: 'off',
      STRATUS_POP3_PORT: 'off',
      STRATUS_POP3S_PORT: 'off',
      STRATUS_LMTP_PORT: 'off',
      STRATUS_HEALTH_PORT: 'off',
      STRATUS_ADMIN_PORT: 'off',
      STRATUS_AUTH_FAILURE_DELAY_MS: '10',
      // Every change below reaches the idlers through the hint, never through the safety poll.
      STRATUS_MAILBOX_POLL_MS: '3600000',
      STRATUS_MAX_CONNECTIONS_PER_IP: '0',
      STRATUS_MAX_SESSIONS_PER_USER: '0',
    });
    server = await startServer(config, pino({ level: 'silent' }));
    await addUser(server.store.ctx, 'fanout@example.com', 'pw');
    f = { portA: server.imapPort!, portB: server.imapPort!, user: 'fanout@example.com', password: 'pw' };
  });
  after(async () => {
    for (const c of clients) c.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function startIdling(n: number): Promise<RawClient[]> {
    const started: RawClient[] = [];
    for (let i = 0; i < n; i++) {
      const c = await rawLogin(f, f.portA);
      clients.push(c);
      assert.match(await within(c.command('S', 'SELECT INBOX'), 'SELECT'), /S OK/);
      c.write('I IDLE\r\n');
      await within(c.until((t) => t.includes('+ idling\r\n')), '+ idling');
      started.push(c);
    }
    await quiet();
    return started;
  }

  /** Until the store meter stops moving (each IDLE's catch-up read has been made). */
  async function quiet(): Promise<void> {
    let last = JSON.stringify(server.store.meter.snapshot());
    for (let still = 0; still < 3; ) {
      await sleep(50);
      const now = JSON.stringify(server.store.meter.snapshot());
      still = now === last ? still + 1 : 0;
      last = now;
    }
  }

  /** APPENDs message `k` from a session that is not idling; resolves once every idler has its `* k EXISTS`. */
  async function appendAndWait(writer: RawClient, idlers: RawClient[], k: number): Promise<CallCounts> {
    const before = server.store.meter.snapshot();
    const raw = `Subject: fan-out ${k}\r\n\r\nbody ${k}\r\n`;
    writer.write(`A${k} APPEND INBOX {${raw.length}+}\r\n${raw}\r\n`);
    await within(writer.until((t) => new RegExp(`A${k} OK`).test(t)), 'APPEND');
    await within(Promise.all(idlers.map((c) => c.until((t) => t.includes(`* ${k} EXISTS\r\n`)))), `* ${k} EXISTS at every idler`);
    await quiet();
    return CallMeter.diff(server.store.meter.snapshot(), before);
  }

  it('N idling sessions hold no timer each, and a change costs the same store calls for N as for one', async () => {
    const writer = await rawLogin(f, f.portA);
    clients.push(writer);
    const [first] = await startIdling(1);
    await appendAndWait(writer, [first!], 1); // warm-up: first-time reads of the APPEND path are not counted
    const oneIdler = await appendAndWait(writer, [first!], 2);

    const timersBefore = timeouts();
    const watchedBefore = processAutologout.size;
    const more = await startIdling(IDLERS - 1);
    // One autologout clock watches every connection; no Timeout per connection (there were one each before).
    assert.equal(processAutologout.size - watchedBefore, IDLERS - 1, 'every new connection is watched by the clock');
    assert.ok(timeouts() - timersBefore < 3, `Timeouts grew from ${timersBefore} to ${timeouts()} for ${IDLERS - 1} idling sessions`);

    const all = [first!, ...more];
    const manyIdlers = await appendAndWait(writer, all, 3);
    // The same calls with 40 idlers as with one: the writer's APPEND, one change-log read for the process (the
    // mailbox cache), one \Recent claim for the process; nothing per idling session.
    assert.deepEqual(manyIdlers.byOp, oneIdler.byOp);
    assert.ok(manyIdlers.kv > 0);

    for (const c of all) {
      c.write('DONE\r\n');
      const rest = await within(c.until((t) => /I OK /.test(t)), 'IDLE ended');
      assert.match(rest, /^(\* \d+ RECENT\r\n)?I OK IDLE terminated\r\n$/, 'nothing was announced twice');
    }
  });
});
