// The parser must never throw and must always come back to 'end', whatever the client sends (DESIGN.md: a broken
// client never takes the process down). Seeded, so a failure can be replayed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CommandReader } from '../../src/imap/parser/command-reader.js';
import { decodeMailboxName } from '../../src/imap/parser/mailbox-name.js';

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VALID = [
  'a1 LOGIN {3}\r\nbob {6+}\r\nsecret\r\n',
  'a2 SELECT INBOX (QRESYNC (1 2 1:5 (1:2 3:4)))\r\n',
  'a3 APPEND Drafts (\\Draft) "17-Jul-1996 02:44:25 -0700" {12+}\r\nHello\r\nWorld\r\n',
  'a4 UID FETCH 1:*,3,5:7 (FLAGS BODY.PEEK[1.2.HEADER.FIELDS (From To)]<0.100> BINARY[1]) (CHANGEDSINCE 5 VANISHED)\r\n',
  'a5 UID SEARCH RETURN (MIN SAVE) CHARSET UTF-8 OR (FROM "a \\" b" NOT SEEN) TEXT {4+}\r\n{1}x MODSEQ "/flags/\\\\seen" all 4\r\n',
  'a6 STORE $ (UNCHANGEDSINCE 9) +FLAGS.SILENT (\\Seen $Junk)\r\n',
  'a7 LIST (SUBSCRIBED) "" ("INBOX" "&AOQ-*") RETURN (STATUS (MESSAGES))\r\n',
  'a8 AUTHENTICATE PLAIN AGJvYgBzZWNyZXQ=\r\n',
  'a9 ID ("name" "x" "version" NIL)\r\n',
  'b1 APPEND INBOX ~{3}\r\na\0b\r\n',
];
const ALPHABET = Buffer.from(' ()[]<>{}+~"\\*%$:,.0123456789\r\n\0ABCFHINOSTUXabcfx\x80\xff');

function mutate(input: Buffer, rnd: () => number): Buffer {
  const bytes = [...input];
  const edits = 1 + Math.floor(rnd() * 4);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(rnd() * (bytes.length + 1));
    const pick = (): number => ALPHABET[Math.floor(rnd() * ALPHABET.length)] ?? 0x20;
    const op = rnd();
    if (op < 0.33) bytes.splice(at, 1);
    else if (op < 0.66) bytes.splice(at, 0, pick());
    else bytes[at] = pick();
  }
  return Buffer.from(bytes);
}

async function drive(input: Buffer, rnd: () => number): Promise<number> {
  const reader = new CommandReader({ maxLineLength: 200, maxLiteralSize: 100, maxAppendSize: 1000, maxLiteralsPerCommand: 4 });
  let offset = 0;
  while (offset < input.length) {
    const n = 1 + Math.floor(rnd() * 40);
    reader.push(input.subarray(offset, offset + n));
    offset += n;
  }
  reader.end();
  let events = 0;
  for (;;) {
    const ev = await reader.next();
    if (ev.kind === 'end') return events;
    events++;
    assert.ok(events < 10_000, 'the reader does not terminate');
    if (ev.kind === 'command' && ev.command.name === 'APPEND') {
      const choice = rnd();
      if (choice < 0.1) ev.command.message.refuse();
      else if (choice < 0.2) ev.command.message.discard();
      else {
        try {
          for await (const _ of ev.command.message.stream) {
            /* drain */
          }
        } catch {
          /* a malformed tail or a closed connection errors the stream: expected */
        }
      }
    }
    if (rnd() < 0.05) reader.expectRawLine();
  }
}

test('fuzz: 10k random byte strings and 10k mutated valid commands never throw and always end', async () => {
  const rnd = prng(20240601);
  for (let i = 0; i < 10_000; i++) {
    const length = Math.floor(rnd() * 300);
    const bytes = Buffer.alloc(length);
    for (let k = 0; k < length; k++) {
      bytes[k] = rnd() < 0.5 ? (ALPHABET[Math.floor(rnd() * ALPHABET.length)] ?? 0) : Math.floor(rnd() * 256);
    }
    await drive(bytes, rnd);
  }
  let commands = 0;
  for (let i = 0; i < 10_000; i++) {
    const first = Math.floor(rnd() * VALID.length);
    const base = Buffer.from(VALID.slice(first, first + 3).join(''), 'latin1');
    commands += await drive(mutate(base, rnd), rnd);
  }
  assert.ok(commands > 10_000, 'mutations were so destructive that nothing parsed: the fuzz explores too little');
});

test('fuzz: mailbox name decoding never throws and round-trips what it accepts', () => {
  const rnd = prng(7);
  const chars = 'AZaz09&-+,/ ';
  for (let i = 0; i < 20_000; i++) {
    let s = '';
    const n = Math.floor(rnd() * 12);
    for (let k = 0; k < n; k++) s += chars[Math.floor(rnd() * chars.length)];
    const decoded = decodeMailboxName(s);
    if (decoded !== null) assert.ok(typeof decoded === 'string');
  }
});
