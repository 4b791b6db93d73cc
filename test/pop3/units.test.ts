// The pure parts of POP3, without sockets: command parser, dot-stuffer (every chunk split), maildrop numbering,
// error mapping, capabilities; and the stateless SCRAM exchange the MailStore runs for AUTH SCRAM-SHA-256.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { decodeSaslResponse, parseCommand, parseLineCount, parseMessageNumber } from '../../src/pop3/parser.js';
import { DotStuffer } from '../../src/pop3/dot-stuffer.js';
import { Maildrop } from '../../src/pop3/maildrop.js';
import { failureLine, fail } from '../../src/pop3/responses.js';
import { capabilities } from '../../src/pop3/capabilities.js';
import { MailStoreError } from '../../src/mailstore/errors.js';
import { makeScramSecret, type ScramSecret } from '../../src/auth/scram.js';
import { finishStatelessScram, startStatelessScram } from '../../src/auth/scram-stateless.js';

function stuffAll(message: string, bodyLines?: number, split = 0): string {
  const bytes = Buffer.from(message, 'latin1');
  const s = new DotStuffer(bodyLines);
  const out: Buffer[] = [];
  const chunks = split > 0 ? [bytes.subarray(0, split), bytes.subarray(split)] : [bytes];
  for (const c of chunks) {
    if (s.finished) break;
    out.push(...s.push(c));
  }
  out.push(...s.end());
  return Buffer.concat(out).toString('latin1');
}

describe('POP3 parser', () => {
  it('parses keywords case-insensitively and keeps PASS verbatim', () => {
    assert.deepEqual(parseCommand('retr 1'), { ok: true, command: { verb: 'RETR', args: ['1'], rest: '1' } });
    const pass = parseCommand('PASS two  spaces ');
    assert.ok(pass.ok && pass.command.rest === 'two  spaces ');
    assert.equal(parseCommand('').ok, false);
    assert.equal(parseCommand('RETR  1').ok, false);
    assert.equal(parseCommand('X').ok, false);
    assert.equal(parseCommand('TOOLONG').ok, false);
    assert.equal(parseCommand('RE\u00e9T').ok, false);
  });
  it('accepts only canonical message numbers and line counts', () => {
    assert.equal(parseMessageNumber('1'), 1);
    for (const bad of ['0', '-1', '01', '1.0', '', ' 1', '99999999999', undefined]) assert.equal(parseMessageNumber(bad), undefined);
    assert.equal(parseLineCount('0'), 0);
    assert.equal(parseLineCount('-1'), undefined);
  });
  it('decodes SASL responses strictly (RFC 5034 §4)', () => {
    assert.equal(decodeSaslResponse('=')?.length, 0);
    assert.equal(decodeSaslResponse('YWJj')?.toString(), 'abc');
    for (const bad of ['=AAA', 'AAA=BBB', 'YW J', 'YWJ']) assert.equal(decodeSaslResponse(bad), undefined);
  });
});

describe('dot-stuffer', () => {
  const message = 'A: 1\r\nB: 2\r\n\r\n.one\r\ntwo\r\n..three\r\nfour';
  const expected = 'A: 1\r\nB: 2\r\n\r\n..one\r\ntwo\r\n...three\r\nfour\r\n.\r\n';

  it('stuffs leading dots and terminates, whatever the chunk boundaries', () => {
    for (let split = 0; split < message.length; split++) assert.equal(stuffAll(message, undefined, split), expected, `split at ${split}`);
  });
  it('turns bare LF into CRLF and ends an empty message with just "."', () => {
    assert.equal(stuffAll('a\n.b\n'), 'a\r\n..b\r\n.\r\n');
    assert.equal(stuffAll(''), '.\r\n');
    assert.equal(stuffAll('.'), '..\r\n.\r\n');
  });
  it('TOP: the header, the blank line and n body lines', () => {
    for (let split = 0; split < message.length; split++) {
      assert.equal(stuffAll(message, 0, split), 'A: 1\r\nB: 2\r\n\r\n.\r\n');
      assert.equal(stuffAll(message, 2, split), 'A: 1\r\nB: 2\r\n\r\n..one\r\ntwo\r\n.\r\n');
      assert.equal(stuffAll(message, 99, split), expected);
    }
    assert.equal(stuffAll('A: 1\r\nB: 2', 0), 'A: 1\r\nB: 2\r\n.\r\n', 'a message without a body');
  });
});

describe('maildrop', () => {
  const drop = () => new Maildrop('m', 1700000000, 'p/', { uids: [9, 3, 5], sizes: [90, 30, 50], emailIds: ['e9', 'e3', 'e5'] });
  it('numbers by UID, marks deletions, resets, and names unique-ids by UIDVALIDITY.UID', () => {
    const d = drop();
    assert.deepEqual(d.messages.map((m) => m.uid), [3, 5, 9]);
    assert.deepEqual(d.stat(), { count: 3, octets: 170 });
    d.dele(2);
    assert.throws(() => d.get(2), /already deleted/);
    assert.throws(() => d.get(4), /No such message/);
    assert.deepEqual(d.stat(), { count: 2, octets: 120 });
    assert.deepEqual(d.deletedUids(), [5]);
    d.rset();
    assert.deepEqual(d.deletedUids(), []);
    assert.equal(d.uniqueId(d.get(3)), '1700000000.9');
  });
});

describe('POP3 answers and capabilities', () => {
  it('maps failures to -ERR with RFC 2449/3206 codes in one place', () => {
    assert.equal(failureLine(fail('Busy', 'IN-USE')).line, '-ERR [IN-USE] Busy\r\n');
    assert.equal(failureLine(new MailStoreError('AUTHENTICATIONFAILED', 'x')).line, '-ERR [AUTH] Authentication failed\r\n');
    assert.equal(failureLine(new MailStoreError('UNAVAILABLE', 'x')).line, '-ERR [SYS/TEMP] Mail store unavailable, try again later\r\n');
    assert.equal(failureLine(new MailStoreError('UNAUTHORIZED', 'x')).fatal, true);
    const bug = failureLine(new TypeError('oops'));
    assert.ok(bug.bug && bug.line.startsWith('-ERR [SYS/TEMP]'));
    assert.equal(failureLine(fail('[x]\r\ny')).line, '-ERR (x] y\r\n');
  });
  it('offers USER and PLAIN only where cleartext passwords are allowed, and never STLS', () => {
    assert.ok(capabilities({ plaintextAllowed: true }).includes('USER'));
    assert.ok(capabilities({ plaintextAllowed: true }).includes('SASL PLAIN SCRAM-SHA-256'));
    const strict = capabilities({ plaintextAllowed: false });
    assert.ok(!strict.includes('USER') && strict.includes('SASL SCRAM-SHA-256'));
    assert.ok(!strict.includes('STLS'));
  });
});

describe('stateless SCRAM-SHA-256', () => {
  const key = Buffer.alloc(32, 7);
  const secret = makeScramSecret('pencil');
  const lookup = async (u: string): Promise<ScramSecret | undefined> => (u === 'user@example.com' ? secret : undefined);

  function clientFinal(serverFirst: string, bare: string, password: string): string {
    const attrs = new Map(serverFirst.split(',').map((a) => [a.slice(0, 1), a.slice(2)] as const));
    const hmac = (k: Uint8Array, d: string) => createHmac('sha256', k).update(d).digest();
    const salted = pbkdf2Sync(password, Buffer.from(attrs.get('s')!, 'base64'), Number(attrs.get('i')), 32, 'sha256');
    const clientKey = hmac(salted, 'Client Key');
    const withoutProof = `c=biws,r=${attrs.get('r')}`;
    const sig = hmac(createHash('sha256').update(clientKey).digest(), `${bare},${serverFirst},${withoutProof}`);
    return `${withoutProof},p=${Buffer.from(clientKey.map((b, i) => b ^ sig[i]!)).toString('base64')}`;
  }

  it('verifies a good proof across two calls and refuses a bad, tampered or expired one', async () => {
    const bare = 'n=user@example.com,r=abcdef';
    const start = await startStatelessScram(key, `n,,${bare}`, lookup, 1000);
    assert.ok(!start.state.includes(secret.storedKey) && !Buffer.from(start.state.split('.')[1]!, 'base64url').toString().includes(secret.storedKey));
    const final = clientFinal(start.serverFirst, bare, 'pencil');
    const ok = await finishStatelessScram(key, start.state, final, lookup, 1001);
    assert.equal(ok.username, 'user@example.com');
    assert.match(ok.serverFinal, /^v=/);
    await assert.rejects(finishStatelessScram(key, start.state, clientFinal(start.serverFirst, bare, 'wrong'), lookup, 1001), /invalid-proof/);
    await assert.rejects(finishStatelessScram(key, start.state, final, lookup, 1000 + 61), /expired/);
    await assert.rejects(finishStatelessScram(Buffer.alloc(32, 8), start.state, final, lookup, 1001), /signature/);
    const [v, payload, sig] = start.state.split('.');
    await assert.rejects(finishStatelessScram(key, `${v}.${payload}x.${sig}`, final, lookup, 1001));
  });

  it('gives an unknown user a stable fake salt and fails at the proof', async () => {
    const bare = 'n=nobody@example.com,r=xyz';
    const a = await startStatelessScram(key, `n,,${bare}`, lookup);
    const b = await startStatelessScram(key, `n,,${bare}`, lookup);
    assert.equal(a.serverFirst.split(',')[1], b.serverFirst.split(',')[1]);
    await assert.rejects(finishStatelessScram(key, a.state, clientFinal(a.serverFirst, bare, 'x'), lookup), /invalid-proof/);
  });
});
