// The `loop` workload of the load generator (issue 8 item 1): every client runs the loop a mail client runs when it
// checks mail, `rounds` times, in lock step with the others (phase-barrier.ts), so each command type has its own
// timed window and its own row:
//
//   LOGIN · LIST "" "*" · STATUS INBOX and STATUS Sent (MESSAGES UIDNEXT UNSEEN) · SELECT INBOX · FETCH 1:* (FLAGS)
//   · UID FETCH <UIDs new since the previous round> (ENVELOPE BODYSTRUCTURE) · `picks` × FETCH n BODY.PEEK[]
//   · the same `picks` × FETCH n BODY.PEEK[1]<0.100> · the same `picks` × STORE n +FLAGS (\Seen) (read, then marked)
//   · STORE v +FLAGS (\Deleted) of one message · UID EXPUNGE v (EXPUNGE without UIDPLUS) · APPEND of one sent-mail
//   copy to Sent (\Seen) · `deliveries` × APPEND to INBOX (the new mail of the next round) · SEARCH UNSEEN, FROM,
//   SUBJECT, BODY · LOGOUT
//
// With `keepOpen` the rounds share one connection: round 1 starts with LOGIN, later rounds with NOOP, and only the
// last round ends with LOGOUT.
//
// New mail is delivered by the client itself, by APPEND to its own INBOX: a real delivery comes by LMTP, and an IMAP
// APPEND into another user's INBOX would need ACL rights (RFC 4314) a plain Dovecot does not grant, so this is the
// one source both servers accept. It is timed (row APPEND) because it costs the server like a delivery does; the
// messages of round r are the "new" messages round r + 1 fetches the envelopes of. For round 1 the last
// `deliveries` seeded messages count as new.
//
// Set-up (untimed, not in the table): each client, on its own connection, creates Sent if LIST does not show it,
// empties INBOX and Sent, and APPENDs its corpus (`messages`) to INBOX; the seeding is timed apart (its own
// recorder) so its rate can be printed on a line of its own.
//
// Every answer is checked against the client's model of its two mailboxes (UID, message and \Seen of every INBOX
// message in sequence order; count and UIDNEXT of Sent): LIST names, STATUS counts, SELECT EXISTS/UIDNEXT/
// UIDVALIDITY, FLAGS of every message, the envelope subjects of exactly the new UIDs, bodies byte for byte, the
// partial's bytes, the FLAGS STORE reports, the EXPUNGE sequence number, APPENDUID (with UIDPLUS) and all four SEARCH
// results. Any disagreement throws WorkloadCheckError.
import { ImapClient } from './imap-client.js';
import type { CommandResult, FetchedMessage } from './imap-client.js';
import type { ImapResponse, ImapValue } from './imap-parser.js';
import { makeCorpus, RARE_WORD, seededRandom } from './corpus.js';
import type { CorpusMessage } from './corpus.js';
import type { LatencyRecorder } from './latency-stats.js';
import type { PhaseBarrier } from './phase-barrier.js';
import { searchTerms, WorkloadCheckError } from './workload.js';
import type { ClientBasePlan, ClientOutcome } from './workload.js';

export interface LoopPlan extends ClientBasePlan {
  rounds: number;
  /** Messages APPENDed to INBOX in every round: the new mail of the next round. */
  deliveries: number;
  /** One connection for all rounds (NOOP between rounds) instead of LOGIN … LOGOUT in each. */
  keepOpen: boolean;
}

/** The mailbox the sent-mail copies go to; created in set-up unless LIST shows it. */
export const SENT = 'Sent';
const STATUS_ITEMS = ['MESSAGES', 'UIDNEXT', 'UNSEEN'];

interface Held {
  uid: number;
  message: CorpusMessage;
  seen: boolean;
}

interface Model {
  inbox: Held[];
  inboxUidNext: number;
  uidValidity: number | undefined;
  /** UIDs up to this one had their ENVELOPE fetched (the client's "synced" mark). */
  syncedUid: number;
  sentCount: number;
  sentUidNext: number;
  /** The names LIST showed at set-up (Sent included): every later LIST must show exactly these. */
  names: string[];
}

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new WorkloadCheckError(message);
}

/** The corpus of one client: seeded messages, then the deliveries of each round, then the sent copies. */
export function loopCorpus(plan: Pick<LoopPlan, 'messages' | 'rounds' | 'deliveries' | 'seed'>): CorpusMessage[] {
  return makeCorpus(plan.messages + plan.rounds * (plan.deliveries + 1), plan.seed);
}

export async function runLoopClient(
  plan: LoopPlan,
  recorder: LatencyRecorder,
  seeding: LatencyRecorder,
  barrier: PhaseBarrier,
  register: (client: ImapClient) => void,
): Promise<ClientOutcome> {
  const corpus = loopCorpus(plan);
  const connect = async (): Promise<ImapClient> => {
    const client = await ImapClient.connect({ host: plan.host, port: plan.port, timeoutMs: plan.timeoutMs });
    register(client);
    return client;
  };
  const model = await setUp(plan, corpus, seeding, barrier, connect);
  const random = seededRandom(plan.seed ^ 0x100b);
  let client: ImapClient | undefined;
  try {
    for (let round = 0; round < plan.rounds; round++) {
      const opens = round === 0 || !plan.keepOpen;
      const closes = round === plan.rounds - 1 || !plan.keepOpen;
      if (opens) client = await connect();
      if (!client) throw new Error('no connection');
      await runRound({ plan, client, corpus, model, random, recorder, barrier, round, opens, closes });
      if (closes) client = undefined;
    }
  } finally {
    client?.close();
  }
  return { exactChecks: true };
}

/** Untimed: Sent exists, INBOX and Sent are empty, then INBOX gets the corpus (timed into `seeding`). */
async function setUp(
  plan: LoopPlan,
  corpus: CorpusMessage[],
  seeding: LatencyRecorder,
  barrier: PhaseBarrier,
  connect: () => Promise<ImapClient>,
): Promise<Model> {
  const who = `client ${plan.index} (${plan.user}) set-up`;
  const client = await connect();
  try {
    await client.login(plan.user, plan.password);
    if (client.capabilities.size === 0) await client.capability();
    let names = await client.list('', '*');
    if (!names.includes(SENT)) {
      await client.command(`CREATE ${SENT}`);
      names = await client.list('', '*');
      check(names.includes(SENT), `${who}: LIST does not show ${SENT} after CREATE`);
    }
    const sent = await emptied(client, SENT);
    const inbox = await emptied(client, 'INBOX');
    check(inbox.uidNext !== undefined && sent.uidNext !== undefined, `${who}: SELECT gave no UIDNEXT`);
    await barrier.wait(); // every mailbox is empty: seeding starts for all at once

    const model: Model = {
      inbox: [],
      inboxUidNext: inbox.uidNext,
      uidValidity: inbox.uidValidity,
      syncedUid: 0,
      sentCount: 0,
      sentUidNext: sent.uidNext,
      names: [...names].sort(),
    };
    for (const message of corpus.slice(0, plan.messages)) {
      const answer = await seeding.time('APPEND', () => client.append('INBOX', message.raw));
      model.inbox.push({ uid: appended(client, answer, model.inboxUidNext, model.uidValidity, `${who}: APPEND`), message, seen: false });
      model.inboxUidNext += 1;
    }
    await barrier.wait(); // seeding over for all

    await client.command('NOOP');
    check(client.exists === model.inbox.length, `${who}: EXISTS ${client.exists} after seeding ${model.inbox.length}`);
    // The last `deliveries` seeded messages are the new mail round 1 fetches the envelopes of.
    model.syncedUid = model.inbox[plan.messages - plan.deliveries - 1]?.uid ?? inbox.uidNext - 1;
    await client.logout();
    return model;
  } finally {
    client.close();
  }
}

/** SELECTs `mailbox` and expunges everything in it; its UIDNEXT and UIDVALIDITY (expunging changes neither). */
async function emptied(client: ImapClient, mailbox: string): Promise<{ uidNext: number | undefined; uidValidity: number | undefined }> {
  const selected = await client.select(mailbox);
  if (selected.exists > 0) {
    await client.store('1:*', '+FLAGS.SILENT (\\Deleted)');
    await client.command('EXPUNGE');
  }
  check(client.exists === 0, `${mailbox} still holds ${client.exists} messages after EXPUNGE`);
  return { uidNext: selected.uidNext, uidValidity: selected.uidValidity };
}

/** The UID an APPEND got: from APPENDUID (RFC 4315 §3) when the server has UIDPLUS, which must be `expected`. */
function appended(client: ImapClient, answer: CommandResult, expected: number, uidValidity: number | undefined, what: string): number {
  if (!client.capabilities.has('UIDPLUS')) return expected;
  const resp = answer.completion.resp;
  check(resp.code === 'APPENDUID', `${what}: no APPENDUID although the server has UIDPLUS`);
  const [validity, uid] = resp.codeArgs.split(' ').map(Number);
  check(uid === expected, `${what}: APPENDUID ${resp.codeArgs}, expected UID ${expected}`);
  if (uidValidity !== undefined) check(validity === uidValidity, `${what}: APPENDUID ${resp.codeArgs}, expected UIDVALIDITY ${uidValidity}`);
  return expected;
}

interface RoundState {
  plan: LoopPlan;
  client: ImapClient;
  corpus: CorpusMessage[];
  model: Model;
  random: () => number;
  recorder: LatencyRecorder;
  barrier: PhaseBarrier;
  round: number;
  opens: boolean;
  closes: boolean;
}

async function runRound(state: RoundState): Promise<void> {
  const { plan, client, corpus, model, random, barrier, round } = state;
  const who = `client ${plan.index} (${plan.user}) round ${round + 1}`;
  const time = <T>(command: string, run: () => Promise<T>): Promise<T> => state.recorder.time(command, run, round);
  const inbox = model.inbox;

  if (state.opens) {
    await time('LOGIN', () => client.login(plan.user, plan.password));
    if (client.capabilities.size === 0) await client.capability(); // untimed, as in classic
  } else {
    await time('NOOP', () => client.command('NOOP'));
    check(client.exists === inbox.length, `${who}: NOOP: EXISTS ${client.exists}, expected ${inbox.length}`);
  }
  await barrier.wait();

  const names = await time('LIST', () => client.list('', '*'));
  const shown = [...names].sort();
  check(JSON.stringify(shown) === JSON.stringify(model.names), `${who}: LIST shows [${shown.join(', ')}], expected [${model.names.join(', ')}]`);
  await barrier.wait();

  const inboxStatus = await time('STATUS', () => client.status('INBOX', STATUS_ITEMS));
  checkStatus(inboxStatus, { MESSAGES: inbox.length, UIDNEXT: model.inboxUidNext, UNSEEN: inbox.filter((m) => !m.seen).length }, `${who}: STATUS INBOX`);
  const sentStatus = await time('STATUS', () => client.status(SENT, STATUS_ITEMS));
  checkStatus(sentStatus, { MESSAGES: model.sentCount, UIDNEXT: model.sentUidNext, UNSEEN: 0 }, `${who}: STATUS ${SENT}`);
  await barrier.wait();

  const selected = await time('SELECT', () => client.select('INBOX'));
  check(selected.exists === inbox.length, `${who}: SELECT: EXISTS ${selected.exists}, expected ${inbox.length}`);
  check(selected.uidNext === model.inboxUidNext, `${who}: SELECT: UIDNEXT ${String(selected.uidNext)}, expected ${model.inboxUidNext}`);
  check(selected.uidValidity === model.uidValidity, `${who}: SELECT: UIDVALIDITY ${String(selected.uidValidity)} changed from ${String(model.uidValidity)}`);
  await barrier.wait();

  // "1:*" names no message in an empty mailbox (RFC 9051 §9 seq-number): only with --deliveries 0 can it empty.
  if (inbox.length > 0) {
    const flags = await time('FETCH-FLAGS', () => client.fetch('1:*', '(FLAGS)', { name: 'FETCH-FLAGS' }));
    checkAllFlags(flags, inbox, who);
  }
  await barrier.wait();

  const fresh = inbox.filter((m) => m.uid > model.syncedUid);
  if (fresh.length > 0) {
    const set = `${fresh[0]!.uid}:${fresh.at(-1)!.uid}`;
    const answer = await time('FETCH-ENVELOPE', () => client.fetch(set, '(ENVELOPE BODYSTRUCTURE)', { uid: true, name: 'FETCH-ENVELOPE' }));
    checkEnvelopes(answer, fresh, inbox, `${who}: UID FETCH ${set} (ENVELOPE BODYSTRUCTURE)`);
    model.syncedUid = fresh.at(-1)!.uid;
  }
  await barrier.wait();

  const picks = pickDistinct(random, inbox.length, plan.picks);
  for (const seq of picks) {
    const answer = await time('FETCH-BODY', () => client.fetch(String(seq), 'BODY.PEEK[]', { name: 'FETCH-BODY' }));
    const body = itemOf(answer, seq, 'BODY[]', `${who}: FETCH ${seq} BODY.PEEK[]`);
    check(Buffer.isBuffer(body) && body.equals(inbox[seq - 1]!.message.raw), `${who}: BODY[] of ${seq} is not the appended message`);
  }
  await barrier.wait();

  for (const seq of picks) {
    const answer = await time('FETCH-PARTIAL', () => client.fetch(String(seq), 'BODY.PEEK[1]<0.100>', { name: 'FETCH-PARTIAL' }));
    const part = itemOf(answer, seq, 'BODY[1]<0>', `${who}: FETCH ${seq} BODY.PEEK[1]<0.100>`);
    const expected = Buffer.from(inbox[seq - 1]!.message.text).subarray(0, 100);
    check(Buffer.isBuffer(part) && part.equals(expected), `${who}: BODY[1]<0.100> of ${seq} is not the start of its text part`);
  }
  await barrier.wait();

  for (const seq of picks) {
    const held = inbox[seq - 1]!;
    const answer = await time('STORE', () => client.store(String(seq), '+FLAGS (\\Seen)'));
    const mine = answer.filter((m) => m.seq === seq);
    // RFC 3501 §6.4.6: the untagged FETCH reports the new flags; a server may leave it out when nothing changed.
    check(mine.length > 0 || held.seen, `${who}: STORE ${seq} +FLAGS (\\Seen) answered no FETCH, though the flags changed`);
    for (const m of mine) check(sameFlags(m.items.get('FLAGS'), ['\\Seen']), `${who}: STORE ${seq} reported ${show(m.items.get('FLAGS'))}, expected (\\Seen)`);
    held.seen = true;
  }
  await barrier.wait();

  // One message deleted per round: picked among all, so old and new mail both go.
  const victimSeq = inbox.length > 0 ? 1 + Math.floor(random() * inbox.length) : 0;
  const victim = inbox[victimSeq - 1];
  if (victim) {
    const answer = await time('STORE-DELETED', () => client.store(String(victimSeq), '+FLAGS (\\Deleted)', { name: 'STORE-DELETED' }));
    const mine = answer.filter((m) => m.seq === victimSeq);
    check(mine.length > 0, `${who}: STORE ${victimSeq} +FLAGS (\\Deleted) answered no FETCH`);
    const expected = victim.seen ? ['\\Seen', '\\Deleted'] : ['\\Deleted'];
    for (const m of mine) check(sameFlags(m.items.get('FLAGS'), expected), `${who}: STORE ${victimSeq} reported ${show(m.items.get('FLAGS'))}, expected (${expected.join(' ')})`);
  }
  await barrier.wait();

  if (victim) {
    const uidExpunge = client.capabilities.has('UIDPLUS');
    const answer = await time('EXPUNGE', () => client.command(uidExpunge ? `UID EXPUNGE ${victim.uid}` : 'EXPUNGE', 'EXPUNGE'));
    const numbers = answer.untagged.flatMap((r: ImapResponse) => (r.kind === 'numbered' && r.name === 'EXPUNGE' ? [r.number] : []));
    check(JSON.stringify(numbers) === JSON.stringify([victimSeq]), `${who}: EXPUNGE reported [${numbers.join(' ')}], expected [${victimSeq}] (UID ${victim.uid})`);
    inbox.splice(victimSeq - 1, 1);
  }
  await barrier.wait();

  const sentCopy = corpus[plan.messages + plan.rounds * plan.deliveries + round]!;
  const sentAnswer = await time('APPEND-SENT', () => client.append(SENT, sentCopy.raw, ['\\Seen']));
  appended(client, sentAnswer, model.sentUidNext, undefined, `${who}: APPEND ${SENT}`);
  model.sentCount += 1;
  model.sentUidNext += 1;
  await barrier.wait();

  for (let i = 0; i < plan.deliveries; i++) {
    const message = corpus[plan.messages + round * plan.deliveries + i]!;
    const answer = await time('APPEND', () => client.append('INBOX', message.raw));
    inbox.push({ uid: appended(client, answer, model.inboxUidNext, model.uidValidity, `${who}: APPEND INBOX`), message, seen: false });
    model.inboxUidNext += 1;
  }
  await barrier.wait();

  const { fromTerm, subjectTerm } = searchTerms(corpus);
  const searches: Array<[string, string, (m: Held) => boolean]> = [
    ['SEARCH-UNSEEN', 'UNSEEN', (m) => !m.seen],
    ['SEARCH-FROM', `FROM "${fromTerm}"`, (m) => m.message.from.toLowerCase().includes(fromTerm)],
    ['SEARCH-SUBJECT', `SUBJECT "${subjectTerm}"`, (m) => m.message.subject.toLowerCase().includes(subjectTerm)],
    ['SEARCH-BODY', `BODY "${RARE_WORD}"`, (m) => m.message.text.includes(RARE_WORD)],
  ];
  for (const [name, criteria, matches] of searches) {
    const hits = await time(name, () => client.search(criteria, { name }));
    const expected = inbox.flatMap((m, i) => (matches(m) ? [i + 1] : []));
    const got = [...hits].sort((a, b) => a - b);
    check(JSON.stringify(got) === JSON.stringify(expected), `${who}: ${name} returned [${got.join(' ')}], expected [${expected.join(' ')}]`);
    await barrier.wait();
  }
  // The deliveries were announced (RFC 3501 §6.3.11: EXISTS after APPEND to the selected mailbox) by now.
  check(client.exists === inbox.length, `${who}: EXISTS ${client.exists} after the deliveries, expected ${inbox.length}`);

  if (state.closes) await time('LOGOUT', () => client.logout());
  await barrier.wait();
}

function checkStatus(got: Map<string, number>, expected: Record<string, number>, what: string): void {
  for (const [name, value] of Object.entries(expected)) {
    check(got.get(name) === value, `${what}: ${name} ${String(got.get(name))}, expected ${value}`);
  }
}

/** FETCH 1:* (FLAGS): one answer per message, each with exactly the flags of the model (\Recent aside). */
function checkAllFlags(answer: FetchedMessage[], inbox: readonly Held[], who: string): void {
  const bySeq = new Map<number, ImapValue | undefined>();
  for (const m of answer) if (m.items.has('FLAGS')) bySeq.set(m.seq, m.items.get('FLAGS'));
  check(bySeq.size === inbox.length, `${who}: FETCH 1:* (FLAGS) answered for ${bySeq.size} messages, expected ${inbox.length}`);
  inbox.forEach((held, i) => {
    const flags = bySeq.get(i + 1);
    check(sameFlags(flags, held.seen ? ['\\Seen'] : []), `${who}: FLAGS of ${i + 1} are ${show(flags)}, expected (${held.seen ? '\\Seen' : ''})`);
  });
}

/** UID FETCH of the new UIDs: exactly those, each with its subject and a BODYSTRUCTURE of the right shape. */
function checkEnvelopes(answer: FetchedMessage[], fresh: readonly Held[], inbox: readonly Held[], what: string): void {
  const byUid = new Map<number, FetchedMessage>();
  for (const m of answer) if (m.items.has('ENVELOPE')) byUid.set(Number(m.items.get('UID')), m);
  check(byUid.size === fresh.length, `${what}: ${byUid.size} answers, expected ${fresh.length}`);
  for (const held of fresh) {
    const m = byUid.get(held.uid);
    check(m !== undefined, `${what}: no answer for UID ${held.uid}`);
    check(m.seq === inbox.indexOf(held) + 1, `${what}: UID ${held.uid} came as sequence number ${m.seq}, expected ${inbox.indexOf(held) + 1}`);
    const envelope = m.items.get('ENVELOPE');
    check(Array.isArray(envelope) && envelope.length === 10, `${what}: ENVELOPE of UID ${held.uid} is not a 10-field list`);
    const subject = envelope[1];
    const text = Buffer.isBuffer(subject) ? subject.toString('utf8') : subject;
    check(text === held.message.subject, `${what}: subject of UID ${held.uid} is ${JSON.stringify(text)}, expected ${JSON.stringify(held.message.subject)}`);
    const structure = m.items.get('BODYSTRUCTURE');
    // RFC 3501 §7.4.2: a multipart body starts with a nested body list, a single part with its media type string.
    check(Array.isArray(structure) && Array.isArray(structure[0]) === held.message.multipart, `${what}: BODYSTRUCTURE of UID ${held.uid} is not ${held.message.multipart ? 'multipart' : 'single-part'}`);
  }
}

function itemOf(answer: FetchedMessage[], seq: number, item: string, what: string): ImapValue | undefined {
  const mine = answer.filter((m) => m.seq === seq && m.items.has(item));
  check(mine.length === 1, `${what}: ${mine.length} answers with ${item}, expected 1`);
  return mine[0]!.items.get(item);
}

/** `count` distinct sequence numbers of 1..n (all of them when n ≤ count), in the order drawn. */
function pickDistinct(random: () => number, n: number, count: number): number[] {
  const chosen = new Set<number>();
  while (chosen.size < Math.min(count, n)) chosen.add(1 + Math.floor(random() * n));
  return [...chosen];
}

function flagNames(value: ImapValue | undefined): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value.map((f) => String(f).toLowerCase()).filter((f) => f !== '\\recent').sort();
}

function sameFlags(value: ImapValue | undefined, expected: string[]): boolean {
  const got = flagNames(value);
  return got !== undefined && JSON.stringify(got) === JSON.stringify(expected.map((f) => f.toLowerCase()).sort());
}

function show(value: ImapValue | undefined): string {
  return Array.isArray(value) ? `(${value.map(String).join(' ')})` : String(value);
}
