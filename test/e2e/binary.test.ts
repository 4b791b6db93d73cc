// BINARY (RFC 3516) over real TCP, exact wire text: FETCH BINARY[section]<partial>, BINARY.PEEK, BINARY.SIZE with
// the content decoded from its Content-Transfer-Encoding, literal8 for data with NUL, NO [UNKNOWN-CTE], \Seen.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, type Fixture } from './fixture.js';
import { RawClient } from './raw-client.js';

const payload = Buffer.from([0x41, 0x00, 0x42, 0xff, 0x0d, 0x0a]); // "A\0B\xff\r\n"
const MESSAGE =
  'From: a@example.com\r\nTo: b@example.com\r\nSubject: binary\r\nMIME-Version: 1.0\r\n' +
  'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n' +
  '--b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n' +
  'Caf=C3=A9 soft=\r\nbreak\r\n' +
  '--b1\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n' +
  `${payload.toString('base64')}\r\n` +
  '--b1\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\n' +
  'begin 644 x\r\nend\r\n' +
  '--b1\r\nContent-Type: text/plain\r\n\r\nplain 7bit\r\n' +
  '--b1--\r\n';

describe('BINARY (RFC 3516)', () => {
  let f: Fixture;
  let c: RawClient;
  before(async () => {
    f = await startFixture();
    c = await RawClient.connect(f.port);
    assert.match(await c.command('L', `LOGIN "${f.user}" "${f.password}"`), /L OK/);
    const bytes = Buffer.from(MESSAGE, 'latin1');
    c.write(`A APPEND INBOX {${bytes.length}}\r\n`);
    await c.until((t) => t.startsWith('+'));
    c.write(Buffer.concat([bytes, Buffer.from('\r\n')]));
    assert.match(await c.until((t) => /A (OK|NO|BAD)[^\r]*\r\n/.test(t)), /A OK/);
    assert.match(await c.command('S', 'SELECT INBOX'), /S OK/);
  });
  after(async () => {
    c.close();
    await f.close();
  });

  it('advertises BINARY (§4.1: "MUST include "BINARY" in the response list to the CAPABILITY command")', async () => {
    assert.match(await c.command('c1', 'CAPABILITY'), /^\* CAPABILITY [^\r]* BINARY[ \r]/m);
  });

  it('BINARY.PEEK[1] returns quoted-printable decoded as a <string> (§4.3), without setting \\Seen', async () => {
    const got = await c.command('f1', 'FETCH 1 (BINARY.PEEK[1])');
    assert.equal(got, '* 1 FETCH (BINARY[1] {15}\r\nCafé softbreak)\r\nf1 OK FETCH completed\r\n'.replace('é', '\xc3\xa9'));
    // \Recent: this session was the first to SELECT after the APPEND (RFC 3501 §2.3.2).
    assert.equal(await c.command('f2', 'FETCH 1 (FLAGS)'), '* 1 FETCH (FLAGS (\\Recent))\r\nf2 OK FETCH completed\r\n');
  });

  it('BINARY.SIZE is the decoded size (§4.3: "MUST match the size of the <nstring> or <literal8>")', async () => {
    assert.equal(
      await c.command('f3', 'FETCH 1 (BINARY.SIZE[1] BINARY.SIZE[2] BINARY.SIZE[4])'),
      '* 1 FETCH (BINARY.SIZE[1] 15 BINARY.SIZE[2] 6 BINARY.SIZE[4] 10)\r\nf3 OK FETCH completed\r\n',
    );
  });

  it('base64 data containing NUL comes as a <literal8> ~{n} (§4.3), partials refer to the DECODED data (§4.2)', async () => {
    assert.equal(
      await c.command('f4', 'FETCH 1 (BINARY.PEEK[2])'),
      `* 1 FETCH (BINARY[2] ~{6}\r\n${payload.toString('latin1')})\r\nf4 OK FETCH completed\r\n`,
    );
    assert.equal(await c.command('f5', 'FETCH 1 (BINARY.PEEK[2]<2.2>)'), '* 1 FETCH (BINARY[2]<2> {2}\r\nB\xff)\r\nf5 OK FETCH completed\r\n');
    assert.equal(await c.command('f6', 'FETCH 1 (BINARY.PEEK[4]<6.100>)'), '* 1 FETCH (BINARY[4]<6> {4}\r\n7bit)\r\nf6 OK FETCH completed\r\n');
  });

  it('an unknown CTE fails with NO [UNKNOWN-CTE] (§4.3: "MUST fail the request and issue a "NO" response")', async () => {
    assert.match(await c.command('f7', 'FETCH 1 (BINARY.PEEK[3])'), /^f7 NO \[UNKNOWN-CTE\] /m);
    assert.match(await c.command('f8', 'FETCH 1 (BINARY.SIZE[3])'), /^f8 NO \[UNKNOWN-CTE\] /m);
  });

  it('BINARY[...] without .PEEK sets \\Seen (§4.2: BINARY.PEEK is the form that "does not implicitly set the \\Seen flag")', async () => {
    assert.equal(
      await c.command('f9', 'FETCH 1 (BINARY[4])'),
      '* 1 FETCH (BINARY[4] {10}\r\nplain 7bit FLAGS (\\Seen \\Recent))\r\nf9 OK FETCH completed\r\n',
    );
  });

  it('APPEND of a literal8 ~{n} with NUL keeps the bytes (§4.4)', async () => {
    const bytes = Buffer.concat([Buffer.from('Subject: nul\r\nContent-Transfer-Encoding: binary\r\n\r\n'), payload]);
    c.write(`A2 APPEND INBOX ~{${bytes.length}}\r\n`);
    await c.until((t) => t.startsWith('+'));
    c.write(Buffer.concat([bytes, Buffer.from('\r\n')]));
    assert.match(await c.until((t) => /A2 (OK|NO|BAD)[^\r]*\r\n/.test(t)), /A2 OK/);
    assert.equal(
      await c.command('f10', 'FETCH 2 (BINARY.PEEK[1] BINARY.SIZE[1])'),
      `* 2 FETCH (BINARY[1] ~{6}\r\n${payload.toString('latin1')} BINARY.SIZE[1] 6)\r\nf10 OK FETCH completed\r\n`,
    );
  });
});
