// TLS settings (issue 9 item 6): no TLS below 1.2 and no weak cipher suite, on implicit TLS (IMAPS, POP3S) and on
// STARTTLS, checked from the outside with Debian's `openssl s_client`, the way an auditor would.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../../src/config.js';
import { startServer, type RunningServer } from '../../src/server/main.js';

/** Runs `openssl s_client` against 127.0.0.1:port; true when the handshake completed. */
function handshake(port: number, args: string[]): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    // SECLEVEL=0 on our side, so that a refusal is the server's and not the local OpenSSL policy's.
    const child = execFile('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-brief', ...args], { timeout: 20_000 }, (err, stdout, stderr) => {
      const output = `${stdout}${stderr}`;
      resolve({ ok: !err && /Protocol version|CONNECTION ESTABLISHED/i.test(output) && !/alert|error/i.test(output.split('\n')[0] ?? ''), output });
    });
    // openssl may exit (a refused handshake) before its stdin is closed: that EPIPE is not the server's answer.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end('');
  });
}

describe('TLS policy', () => {
  let dir: string;
  let server: RunningServer;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stratus-tls-policy-'));
    const config = loadConfig({
      STRATUS_DATA_DIR: dir,
      STRATUS_IMAP_PORT: '0',
      STRATUS_IMAPS_PORT: '0',
      STRATUS_POP3_PORT: '0',
      STRATUS_POP3S_PORT: '0',
      STRATUS_ADMIN_PORT: 'off',
      STRATUS_LMTP_PORT: 'off',
      STRATUS_STARTTLS: 'on',
    });
    server = await startServer(config, pino({ level: 'silent' }));
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const weak = ['-cipher', 'DEFAULT@SECLEVEL=0'];
  const cases = (): [string, number, string[]][] => [
    ['IMAPS', server.imapsPort!, []],
    ['POP3S', server.pop3sPort!, []],
    ['IMAP STARTTLS', server.imapPort!, ['-starttls', 'imap']],
    ['POP3 STLS', server.pop3Port!, ['-starttls', 'pop3']],
  ];

  it('accepts TLS 1.2 and 1.3 with strong suites', async () => {
    for (const [name, port, extra] of cases()) {
      const v13 = await handshake(port, [...extra, '-tls1_3']);
      assert.ok(v13.ok, `${name} TLS 1.3: ${v13.output}`);
      const v12 = await handshake(port, [...extra, '-tls1_2', '-cipher', 'ECDHE-ECDSA-AES128-GCM-SHA256']);
      assert.ok(v12.ok, `${name} TLS 1.2: ${v12.output}`);
    }
  });

  it('refuses TLS 1.0 and 1.1', async () => {
    for (const [name, port, extra] of cases()) {
      for (const version of ['-tls1', '-tls1_1']) {
        const r = await handshake(port, [...extra, version, ...weak]);
        assert.ok(!r.ok, `${name} ${version} was accepted: ${r.output}`);
      }
    }
  });

  it('refuses CBC, static-RSA, 3DES and RC4 suites on TLS 1.2', async () => {
    for (const [name, port, extra] of cases()) {
      for (const cipher of ['ECDHE-ECDSA-AES128-SHA', 'ECDHE-ECDSA-AES256-SHA384', 'AES128-SHA', 'DES-CBC3-SHA', 'RC4-SHA']) {
        const r = await handshake(port, [...extra, '-tls1_2', '-cipher', `${cipher}@SECLEVEL=0`]);
        assert.ok(!r.ok, `${name} ${cipher} was accepted: ${r.output}`);
      }
    }
  });
});
