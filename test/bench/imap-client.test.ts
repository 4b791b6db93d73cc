// The raw IMAP client against a scripted loopback server: literal handling both ways, tagged completion, failures.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { ImapClient, ImapCommandError, ImapConnectionError, quote } from '../../bench/imap-client.js';

interface ReceivedCommand {
  tag: string;
  text: string;
  literals: Buffer[];
  /** How each literal was announced: "{n}" (synchronizing) or "{n+}" (LITERAL+). */
  announcements: string[];
}

type Script = (command: ReceivedCommand, socket: Socket) => void;

const servers: Server[] = [];
const sockets: Socket[] = [];
after(() => {
  // A test that failed half-way may leave a connection open; close them all so the run ends.
  for (const socket of sockets) socket.destroy();
  for (const server of servers) server.close();
});

/** A loopback server that reads commands (with literals) and answers through `script`. */
async function fakeServer(greeting: string, script: Script, literalPlus: boolean): Promise<number> {
  const server = createServer((socket) => {
    sockets.push(socket);
    let buffer = Buffer.alloc(0);
    let current: ReceivedCommand | undefined;
    let literalNeeded = -1;
    socket.write(`${greeting}\r\n`);
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        if (literalNeeded >= 0) {
          if (buffer.length < literalNeeded) return;
          current?.literals.push(buffer.subarray(0, literalNeeded));
          buffer = buffer.subarray(literalNeeded);
          literalNeeded = -1;
        }
        const end = buffer.indexOf('\r\n');
        if (end < 0) return;
        const line = buffer.subarray(0, end).toString('utf8');
        buffer = buffer.subarray(end + 2);
        const [tag = '', ...rest] = current ? [current.tag, line] : line.split(' ');
        current ??= { tag, text: '', literals: [], announcements: [] };
        current.text += current.text === '' ? rest.join(' ') : line;
        const literal = /\{(\d+)(\+?)\}$/.exec(line);
        if (literal) {
          current.announcements.push(literal[0]);
          literalNeeded = Number(literal[1]);
          if (literal[2] !== '+' || !literalPlus) socket.write('+ go ahead\r\n');
          continue;
        }
        const done = current;
        current = undefined;
        script(done, socket);
      }
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

const standard: Script = (command, socket) => {
  const verb = command.text.split(' ')[0]?.toUpperCase();
  if (verb === 'LOGIN') socket.write(`${command.tag} OK [CAPABILITY IMAP4rev1] Logged in\r\n`);
  else if (verb === 'APPEND') socket.write(`${command.tag} OK [APPENDUID 1 ${command.literals.length}] done\r\n`);
  else if (verb === 'SELECT') {
    socket.write('* 3 EXISTS\r\n* OK [UIDVALIDITY 77] ok\r\n* OK [UIDNEXT 4] ok\r\n');
    socket.write(`${command.tag} OK [READ-WRITE] done\r\n`);
  } else if (verb === 'FETCH') {
    const body = 'Subject: hi\r\n\r\n{7}\r\nbody';
    socket.write(`* 2 FETCH (UID 2 BODY[] {${body.length}}\r\n${body} FLAGS (\\Seen))\r\n`);
    socket.write('* 3 FETCH (FLAGS (\\Flagged))\r\n'); // unsolicited
    socket.write(`${command.tag} OK done\r\n`);
  } else if (verb === 'SEARCH') socket.write(`* SEARCH 1 3\r\n${command.tag} OK done\r\n`);
  else if (verb === 'NOOP') socket.write(`${command.tag} NO [ALERT] not today\r\n`);
  else if (verb === 'LOGOUT') {
    socket.write(`* BYE bye\r\n${command.tag} OK done\r\n`);
    socket.end();
  } else if (verb === 'HANG') {
    // never answers
  } else if (verb === 'DROP') socket.destroy();
  else socket.write(`${command.tag} BAD unknown\r\n`);
};

describe('ImapClient', () => {
  it('waits for "+" before each synchronizing literal when the server lacks LITERAL+', async () => {
    const seen: ReceivedCommand[] = [];
    const port = await fakeServer('* OK [CAPABILITY IMAP4rev1] hi', (c, s) => {
      seen.push(c);
      standard(c, s);
    }, false);
    const client = await ImapClient.connect({ host: '127.0.0.1', port });
    await client.login('u@example.com', 'p"w\\d');
    await client.append('INBOX', Buffer.from('Subject: x\r\n\r\nhello\r\n'), ['\\Seen']);
    assert.deepEqual(seen[0]?.text, 'LOGIN "u@example.com" "p\\"w\\\\d"');
    assert.deepEqual(seen[1]?.announcements, ['{21}']);
    assert.equal(seen[1]?.text, 'APPEND "INBOX" (\\Seen) {21}');
    assert.deepEqual(seen[1]?.literals, [Buffer.from('Subject: x\r\n\r\nhello\r\n')]);
    await client.logout();
  });

  it('sends non-synchronizing literals when the server announces LITERAL+', async () => {
    const seen: ReceivedCommand[] = [];
    const port = await fakeServer('* OK [CAPABILITY IMAP4rev1 LITERAL+] hi', (c, s) => {
      seen.push(c);
      standard(c, s);
    }, true);
    const client = await ImapClient.connect({ host: '127.0.0.1', port });
    assert.ok(client.capabilities.has('LITERAL+'));
    await client.append('INBOX', Buffer.from('abc'));
    assert.deepEqual(seen[0]?.announcements, ['{3+}']);
    assert.deepEqual(seen[0]?.literals, [Buffer.from('abc')]);
    client.close();
  });

  it('parses SELECT, FETCH with literals and SEARCH answers', async () => {
    const port = await fakeServer('* OK hi', standard, false);
    const client = await ImapClient.connect({ host: '127.0.0.1', port });
    assert.deepEqual(await client.select('INBOX'), { exists: 3, uidNext: 4, uidValidity: 77 });
    const fetched = await client.fetch('2', 'BODY.PEEK[]');
    assert.deepEqual(fetched.map((m) => m.seq), [2, 3]);
    assert.deepEqual(fetched[0]?.items.get('BODY[]'), Buffer.from('Subject: hi\r\n\r\n{7}\r\nbody'));
    assert.deepEqual(fetched[0]?.items.get('FLAGS'), ['\\Seen']);
    assert.deepEqual(await client.search('ALL'), [1, 3]);
    client.close();
  });

  it('reads the mailbox names of LIST and the numbers of STATUS (RFC 3501 §7.2.2, §7.2.4)', async () => {
    const port = await fakeServer('* OK hi', (c, s) => {
      const verb = c.text.split(' ')[0]?.toUpperCase();
      if (verb === 'LIST') {
        s.write('* LIST (\\HasNoChildren) "/" INBOX\r\n* LIST (\\HasNoChildren \\Sent) "/" "Sent"\r\n');
        s.write('* LIST () "/" {9}\r\nOld Stuff\r\n');
        s.write(`${c.tag} OK done\r\n`);
      } else if (verb === 'STATUS') {
        s.write('* STATUS Other (MESSAGES 9)\r\n* STATUS "Sent" (MESSAGES 3 UIDNEXT 12 UNSEEN 0)\r\n');
        s.write(`${c.tag} OK done\r\n`);
      } else standard(c, s);
    }, false);
    const client = await ImapClient.connect({ host: '127.0.0.1', port });
    assert.deepEqual(await client.list('', '*'), ['INBOX', 'Sent', 'Old Stuff']);
    const status = await client.status('Sent', ['MESSAGES', 'UIDNEXT', 'UNSEEN']);
    assert.deepEqual([...status], [['MESSAGES', 3], ['UIDNEXT', 12], ['UNSEEN', 0]]);
    await assert.rejects(client.status('Drafts', ['MESSAGES']), /no STATUS response for Drafts/);
    client.close();
  });

  it('rejects NO and BAD completions with ImapCommandError and stays usable', async () => {
    const port = await fakeServer('* OK hi', standard, false);
    const client = await ImapClient.connect({ host: '127.0.0.1', port });
    await assert.rejects(client.command('NOOP'), (e: unknown) => e instanceof ImapCommandError && e.status === 'NO');
    await assert.rejects(client.command('WHAT'), (e: unknown) => e instanceof ImapCommandError && e.status === 'BAD');
    assert.deepEqual(await client.search('ALL'), [1, 3]);
    client.close();
  });

  it('rejects with ImapConnectionError when the server drops the connection or never answers', async () => {
    const port = await fakeServer('* OK hi', standard, false);
    const dropped = await ImapClient.connect({ host: '127.0.0.1', port });
    await assert.rejects(dropped.command('DROP'), ImapConnectionError);
    await assert.rejects(dropped.command('NOOP'), ImapConnectionError);

    // Only the command's limit is short; the greeting may take its time on a busy machine.
    const silent = await ImapClient.connect({ host: '127.0.0.1', port, timeoutMs: 50, greetingTimeoutMs: 30_000 });
    await assert.rejects(silent.command('HANG'), /no answer within 50 ms/);
  });

  it('rejects at once, not at the time limit, when the server closes before its greeting', async () => {
    const server = createServer((socket) => socket.destroy());
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await assert.rejects(
      ImapClient.connect({ host: '127.0.0.1', port, timeoutMs: 60_000 }),
      (e: unknown) => e instanceof ImapConnectionError && !/no answer within/.test(e.message),
    );
  });

  it('refuses a greeting that is not OK', async () => {
    const port = await fakeServer('* BYE too busy', standard, false);
    await assert.rejects(ImapClient.connect({ host: '127.0.0.1', port }), ImapConnectionError);
  });

  it('quotes only what a quoted string can carry', () => {
    assert.equal(quote('a"b\\c'), '"a\\"b\\\\c"');
    assert.throws(() => quote('line\r\nbreak'));
    assert.throws(() => quote('gr\u00FCn'));
  });
});
