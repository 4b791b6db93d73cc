// Fuzz targets (issue 9 item 4): each turns a seeded PRNG into one case and feeds it to one input surface — the IMAP
// command reader + parser, the POP3 line reader + parser, the LMTP session (smtp-server in LMTP mode, over loopback),
// the MIME indexer, the admin API (the Hono app's fetch, no network). A case passes when nothing throws that should
// not, the surface answers (no 500, no SERVERBUG) and it ends in bounded time. Used by test/fuzz/fuzz.test.ts (CI,
// 100,000 cases) and bench/fuzz.ts (--cases 1000000). Not a test file itself.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { CommandReader } from '../../src/imap/parser/command-reader.js';
import { parseCommand as parsePop3, parseLineCount, parseMessageNumber, decodeSaslResponse } from '../../src/pop3/parser.js';
import { LineReader } from '../../src/pop3/line-reader.js';
import { indexMessage } from '../../src/mime/index.js';
import { parseMessage } from '../../src/mime/part-tree.js';
import { extractText } from '../../src/mime/body-text.js';
import { buildEnvelope } from '../../src/mime/envelope.js';
import { partRange } from '../../src/mime/section.js';
import { createAdminApp } from '../../src/admin/app.js';
import { ROUTES } from '../../src/admin/routes.js';
import { SqliteKv } from '../../src/storage/sqlite/sqlite-kv.js';
import { FsBlob } from '../../src/storage/fs/fs-blob.js';
import { InlineInvoker } from '../../src/mailstore/invoker.js';
import { MailStoreClient } from '../../src/mailstore/client.js';
import { hashAdminToken } from '../../src/mailstore/tenants-functions.js';
import type { StoreContext } from '../../src/mailstore/context.js';
import { startLmtpListener, type LmtpListener } from '../../src/lmtp/listener.js';
import { LmtpClient } from '../../bench/lmtp-client.js';

export type Random = () => number;

/** mulberry32, as in the other fuzz tests: a failing case is replayed from its seed. */
export function prng(seed: number): Random {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(rnd: Random, list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;

/** Random bytes biased towards the alphabet a parser cares about. */
function noise(rnd: Random, alphabet: Buffer, max: number): Buffer {
  const out = Buffer.alloc(Math.floor(rnd() * max));
  for (let i = 0; i < out.length; i++) out[i] = rnd() < 0.6 ? alphabet[Math.floor(rnd() * alphabet.length)]! : Math.floor(rnd() * 256);
  return out;
}

/** 1–4 edits: delete, insert, overwrite, duplicate a slice, truncate. */
export function mutate(input: Buffer, rnd: Random, alphabet: Buffer): Buffer {
  let buf = Buffer.from(input);
  const edits = 1 + Math.floor(rnd() * 4);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(rnd() * (buf.length + 1));
    const op = rnd();
    const byte = rnd() < 0.7 ? alphabet[Math.floor(rnd() * alphabet.length)]! : Math.floor(rnd() * 256);
    if (op < 0.25) buf = Buffer.concat([buf.subarray(0, at), buf.subarray(at + 1)]);
    else if (op < 0.5) buf = Buffer.concat([buf.subarray(0, at), Buffer.from([byte]), buf.subarray(at)]);
    else if (op < 0.7 && at < buf.length) buf[at] = byte;
    else if (op < 0.85) {
      const len = Math.floor(rnd() * 40);
      buf = Buffer.concat([buf.subarray(0, at), buf.subarray(at, at + len), buf.subarray(at)]);
    } else buf = buf.subarray(0, at);
  }
  return buf;
}

export interface FuzzTarget {
  name: string;
  /** Runs one case; throws (an assertion) when the surface misbehaved. */
  run(rnd: Random): Promise<void> | void;
  close?(): Promise<void>;
}

// ---------- IMAP: command reader + parser ----------

const IMAP_CORPUS = [
  'a1 LOGIN {3}\r\nbob {6+}\r\nsecret\r\n',
  'a2 SELECT INBOX (CONDSTORE)\r\n',
  'a2 EXAMINE "Sent" (QRESYNC (1 2 1:5 (1:2 3:4)))\r\n',
  'a3 APPEND Drafts (\\Draft) "17-Jul-1996 02:44:25 -0700" {12+}\r\nHello\r\nWorld\r\n',
  'a3 APPEND INBOX (\\Seen) {5+}\r\nabcde {3+}\r\nxyz\r\n',
  'a4 UID FETCH 1:*,3,5:7 (FLAGS BODY.PEEK[1.2.HEADER.FIELDS (From To)]<0.100> BINARY[1]) (CHANGEDSINCE 5 VANISHED)\r\n',
  'a4 FETCH 1 (ENVELOPE BODYSTRUCTURE RFC822.SIZE INTERNALDATE BODY[TEXT]<5.10>)\r\n',
  'a5 UID SEARCH RETURN (MIN SAVE) CHARSET UTF-8 OR (FROM "a \\" b" NOT SEEN) TEXT {4+}\r\n{1}x MODSEQ "/flags/\\\\seen" all 4\r\n',
  'a5 SEARCH SINCE 1-Feb-1994 LARGER 100 HEADER Subject "x" UID 1:5,7 KEYWORD $Junk\r\n',
  'a6 STORE $ (UNCHANGEDSINCE 9) +FLAGS.SILENT (\\Seen $Junk)\r\n',
  'a7 LIST (SUBSCRIBED) "" ("INBOX" "&AOQ-*") RETURN (STATUS (MESSAGES))\r\n',
  'a8 AUTHENTICATE PLAIN AGJvYgBzZWNyZXQ=\r\n',
  'a9 ID ("name" "x" "version" NIL)\r\n',
  'b1 APPEND INBOX ~{3}\r\na\0b\r\n',
  'b2 UID SORT (REVERSE DATE SUBJECT) UTF-8 ALL\r\n',
  'b3 UID THREAD REFERENCES UTF-8 ALL\r\n',
  'b4 SETACL INBOX bob lrs\r\n',
  'b5 GETQUOTAROOT INBOX\r\n',
  'b6 SETMETADATA INBOX (/private/comment {3+}\r\nabc)\r\n',
  'b7 ENABLE QRESYNC UTF8=ACCEPT\r\n',
  'b8 UID MOVE 1:3 Trash\r\n',
  'b9 STATUS INBOX (MESSAGES UIDNEXT UNSEEN HIGHESTMODSEQ SIZE)\r\n',
];
const IMAP_ALPHABET = Buffer.from(' ()[]<>{}+~"\\*%$:,.-0123456789\r\n\0ABCDEFHIKLMNOPRSTUXYabcfx\x80\xff');

async function driveImap(input: Buffer, rnd: Random): Promise<void> {
  const reader = new CommandReader({ maxLineLength: 300, maxLiteralSize: 200, maxAppendSize: 2000, maxLiteralsPerCommand: 6 });
  let offset = 0;
  while (offset < input.length) {
    const n = 1 + Math.floor(rnd() * 64);
    reader.push(input.subarray(offset, offset + n));
    offset += n;
  }
  reader.end();
  for (let events = 0; ; events++) {
    if (events > 10_000) throw new Error('the IMAP reader does not come to an end');
    const ev = await reader.next();
    if (ev.kind === 'end') return;
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
          /* a truncated literal errors its stream: expected */
        }
      }
    }
    if (rnd() < 0.03) reader.expectRawLine();
  }
}

export const imapTarget: FuzzTarget = {
  name: 'imap',
  run(rnd) {
    if (rnd() < 0.3) return driveImap(noise(rnd, IMAP_ALPHABET, 400), rnd);
    const first = Math.floor(rnd() * IMAP_CORPUS.length);
    const base = Buffer.from(IMAP_CORPUS.slice(first, first + 1 + Math.floor(rnd() * 3)).join(''), 'latin1');
    return driveImap(mutate(base, rnd, IMAP_ALPHABET), rnd);
  },
};

// ---------- POP3: line reader + parser ----------

const POP3_CORPUS = ['USER alice@example.com', 'PASS a pass with spaces', 'STAT', 'LIST 1', 'RETR 2', 'TOP 1 10', 'DELE 3', 'UIDL',
  'AUTH PLAIN AGFsaWNlAHB3', 'AUTH SCRAM-SHA-256', 'CAPA', 'STLS', 'APOP alice 0123456789abcdef', 'RSET', 'NOOP', 'QUIT', 'UTF8'];
const POP3_ALPHABET = Buffer.from(' \r\n\t0123456789=+/-ALPRSTUaeiou\0\x7f\xc3\xa9\xff');

export const pop3Target: FuzzTarget = {
  name: 'pop3',
  async run(rnd) {
    const base = Buffer.from(`${pick(rnd, POP3_CORPUS)}\r\n${pick(rnd, POP3_CORPUS)}\r\n`, 'latin1');
    const input = rnd() < 0.3 ? noise(rnd, POP3_ALPHABET, 200) : mutate(base, rnd, POP3_ALPHABET);
    const reader = new LineReader(100, { pause: () => undefined, resume: () => undefined });
    for (let offset = 0; offset < input.length; ) {
      const n = 1 + Math.floor(rnd() * 32);
      reader.push(input.subarray(offset, offset + n));
      offset += n;
    }
    reader.end();
    for (let events = 0; ; events++) {
      if (events > 1000) throw new Error('the POP3 line reader does not come to an end');
      const ev = await reader.next();
      if (ev.kind === 'end') return;
      if (ev.kind !== 'line') continue;
      const parsed = parsePop3(ev.text);
      if (parsed.ok) {
        for (const arg of parsed.command.args) {
          parseMessageNumber(arg);
          parseLineCount(arg);
          decodeSaslResponse(arg);
        }
      }
    }
  },
};

// ---------- MIME indexer ----------

const MIME_FIXTURES = ['simple', 'alternative', 'mixed-attachment', 'nested-rfc822', 'encoded-words', 'rfc2231', 'bare-lf',
  'missing-final-boundary', 'no-headers', 'digest', 'garbage'].map((name) =>
  readFileSync(fileURLToPath(new URL(`../fixtures/mime/${name}.eml`, import.meta.url))),
);
const MIME_ALPHABET = Buffer.from('\r\n-:;="()<>@,./?=_ \tbBqQ0123456789abcdefmultipartboundarycontent-type\0\xff');

export const mimeTarget: FuzzTarget = {
  name: 'mime',
  run(rnd) {
    const raw = mutate(pick(rnd, MIME_FIXTURES), rnd, MIME_ALPHABET);
    const { part, fields } = parseMessage(raw, 0, raw.length);
    extractText(raw, part);
    buildEnvelope(fields);
    const index = indexMessage(raw);
    JSON.stringify(index);
    for (const path of [[], [1], [2], [1, 1]]) {
      for (const kind of ['full', 'header', 'text', 'mime', 'body'] as const) {
        const r = partRange(index, path, kind);
        if (r !== null && (r.start < 0 || r.length < 0 || r.start + r.length > raw.length)) {
          throw new Error(`section ${path.join('.')} ${kind} out of the message: ${JSON.stringify(r)}`);
        }
      }
    }
  },
};

// ---------- Admin API (the Hono app, no network) ----------

const ADMIN_VALUES: unknown[] = ['', 'x', 'acme', 'a@example.com', 'example.com', '../..', '%00', 'é', 'x'.repeat(400), 0, -1, 1e308, 2 ** 53,
  0.5, true, false, null, [], {}, ['a'], { a: 1 }, 'ADMIN', 'correct horse battery staple'];
const ADMIN_FIELDS = ['name', 'domain', 'login', 'password', 'address', 'label', 'quotaBytes', 'quotaMessages', 'maxUsers', 'admin',
  'status', 'limits', 'maxBytes', 'maxMessages', 'scope', 'expiresInDays', '__proto__', 'constructor'];
const ADMIN_ALPHABET = Buffer.from('{}[]":,0123456789.-+eE truefalsn\\u\0\xff');

export function adminTarget(): FuzzTarget {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-fuzz-admin-'));
  const kv = new SqliteKv(join(dir, 'stratus.sqlite'));
  const blob = new FsBlob(join(dir, 'blobs'));
  const operator = 'fuzz-operator-token-0123456789abcdef';
  const ctx: StoreContext = { kv, blob, tokenKey: randomBytes(32), maxMessageBytes: 1 << 20, adminTokenHash: hashAdminToken(operator) };
  const errors: unknown[] = [];
  const app = createAdminApp({ store: new MailStoreClient(new InlineInvoker(ctx), blob), onError: (err) => errors.push(err) });
  const tenants: string[] = ['t0'];
  const segment = (rnd: Random): string => {
    const r = rnd();
    if (r < 0.5 && tenants.length > 0) return pick(rnd, tenants);
    if (r < 0.8) return encodeURIComponent(String(pick(rnd, ADMIN_VALUES)));
    return pick(rnd, ['%', '%zz', '..', '%2F', 'a%00b', '']);
  };
  return {
    name: 'admin',
    async run(rnd) {
      const route = pick(rnd, ROUTES);
      const path = route.path.replace(/\{(\w+)\}/g, () => segment(rnd));
      let body: string | undefined;
      if (route.body || rnd() < 0.2) {
        const obj: Record<string, unknown> = {};
        for (let i = Math.floor(rnd() * 5); i > 0; i--) obj[pick(rnd, ADMIN_FIELDS)] = pick(rnd, ADMIN_VALUES);
        const text = JSON.stringify(obj);
        body = rnd() < 0.3 ? mutate(Buffer.from(text), rnd, ADMIN_ALPHABET).toString('latin1') : text;
      }
      const headers: Record<string, string> = {};
      const auth = rnd();
      headers.authorization = auth < 0.8 ? `Bearer ${operator}` : auth < 0.9 ? 'Bearer x' : 'Basic abc';
      if (body !== undefined && rnd() < 0.9) headers['content-type'] = 'application/json';
      const query = route.paged && rnd() < 0.5 ? `?limit=${String(pick(rnd, ADMIN_VALUES))}&cursor=${segment(rnd)}` : '';
      let res: Response;
      try {
        res = await app.fetch(new Request(`http://admin.local${path}${query}`, { method: route.method.toUpperCase(), headers, body }));
      } catch (err) {
        if (err instanceof TypeError && /URL|Request/i.test(err.message)) return; // the case could not even be a request
        throw err;
      }
      const text = await res.text();
      if (res.status >= 500) throw new Error(`${route.method} ${path} ${body ?? ''} → ${res.status} ${text} ${String(errors.at(-1))}`);
      if (res.status === 201 && route.op === 'admin.tenant.create') {
        const id = (JSON.parse(text) as { tenantId?: string; id?: string }).tenantId;
        if (id && tenants.length < 20) tenants.push(id);
      }
    },
    async close() {
      await kv.close();
      await blob.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---------- LMTP over loopback ----------

const LMTP_CORPUS = ['LHLO mx.example.org', 'MAIL FROM:<a@example.org> SIZE=100 BODY=8BITMIME', 'MAIL FROM:<>', 'RCPT TO:<alice@example.com>',
  'RCPT TO:<"x y"@example.com> NOTIFY=NEVER', 'DATA', 'RSET', 'NOOP', 'VRFY alice', 'HELO x', 'EHLO x', 'STARTTLS', 'AUTH PLAIN', 'QUIT', 'BDAT 10 LAST'];
const LMTP_ALPHABET = Buffer.from(' <>@:.,="\r\n0123456789AaBbDdEeFfHhLlMmOoRrTt\0\x7f\xff');

/**
 * A real LMTP listener with a store that knows nobody (RCPT answers 550 or 451): the protocol parsing is
 * smtp-server's, the answers ours. A case is one mutated command line on a long-lived connection; each must be answered.
 */
export async function lmtpTarget(): Promise<FuzzTarget> {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-fuzz-lmtp-'));
  const kv = new SqliteKv(join(dir, 'stratus.sqlite'));
  const blob = new FsBlob(join(dir, 'blobs'));
  const ctx: StoreContext = { kv, blob, tokenKey: randomBytes(32), maxMessageBytes: 1 << 20 };
  const listener: LmtpListener = await startLmtpListener('127.0.0.1', 0, {
    store: new MailStoreClient(new InlineInvoker(ctx), blob),
    agentToken: () => 'not-a-token',
    maxMessageBytes: 1 << 20,
    logger: pino({ level: 'silent' }),
    hostname: 'fuzz.local',
    drainMs: 100,
  });
  let client: LmtpClient | undefined;
  let inData = false;
  return {
    name: 'lmtp',
    async run(rnd) {
      if (!client || client.isClosed) {
        client = (await LmtpClient.open(listener.port)).client;
        inData = false;
      }
      if (inData) {
        // Finish the DATA the previous case opened, with a dot-stuffed mutated message.
        client.write(Buffer.from(`${mutate(MIME_FIXTURES[0]!, rnd, LMTP_ALPHABET).toString('latin1').replace(/(^|\r\n)\./g, '$1..')}\r\n.\r\n`, 'latin1'));
        inData = false;
        if ((await client.reply()).code === 421) await client.close();
        return;
      }
      const line = mutate(Buffer.from(pick(rnd, LMTP_CORPUS)), rnd, LMTP_ALPHABET).toString('latin1').replace(/[\r\n]/g, ' ');
      if (/^\s*(QUIT|STARTTLS|BDAT|AUTH)/i.test(line)) return; // these end or change the session: not what we fuzz here
      const reply = await client.command(line);
      if (reply.code >= 500 && reply.code !== 500 && reply.code !== 501 && reply.code !== 502 && reply.code !== 503 &&
        reply.code !== 504 && reply.code !== 550 && reply.code !== 552 && reply.code !== 553 && reply.code !== 554 && reply.code !== 555) {
        throw new Error(`LMTP "${line}" → ${reply.text}`);
      }
      if (reply.code === 354) inData = true;
      // 421: smtp-server ends a session after ten unrecognised commands (and says so): start a new one.
      if (reply.code === 421) await client.close();
    },
    async close() {
      await client?.close();
      await listener.close();
      await kv.close();
      await blob.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---------- the loop ----------

export interface FuzzReport {
  target: string;
  cases: number;
  ms: number;
  slowest: number;
  heapMb: number;
}

/** Runs `cases` cases of one target; a case slower than `caseLimitMs` counts as a hang and fails the run. */
export async function fuzz(target: FuzzTarget, cases: number, seed: number, caseLimitMs = 2000): Promise<FuzzReport> {
  const started = performance.now();
  let slowest = 0;
  let heap = 0;
  for (let i = 0; i < cases; i++) {
    const caseSeed = (seed * 1_000_003 + i) >>> 0;
    const t0 = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        target.run(prng(caseSeed)),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${caseLimitMs} ms`)), caseLimitMs);
        }),
      ]);
    } catch (err) {
      throw new Error(`${target.name} case ${i} (seed ${caseSeed}) failed: ${(err as Error).message}`, { cause: err });
    } finally {
      clearTimeout(timer);
    }
    const took = performance.now() - t0;
    slowest = Math.max(slowest, took);
    if (took > caseLimitMs) throw new Error(`${target.name} case ${i} (seed ${caseSeed}) took ${Math.round(took)} ms: a hang`);
    if (i % 5000 === 0) heap = Math.max(heap, process.memoryUsage().heapUsed);
  }
  heap = Math.max(heap, process.memoryUsage().heapUsed);
  return { target: target.name, cases, ms: Math.round(performance.now() - started), slowest: Math.round(slowest), heapMb: Math.round(heap / 1048576) };
}
