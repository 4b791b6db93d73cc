// The per-client workload of the load generator, run by every client in lock step (see phase-barrier.ts):
//
//   LOGIN · APPEND the corpus into INBOX · SELECT INBOX · FETCH 1:* (FLAGS) · FETCH 1:* (UID RFC822.SIZE INTERNALDATE)
//   · `picks` × FETCH n (ENVELOPE BODYSTRUCTURE) · `picks` × FETCH n BODY.PEEK[] · `picks` × FETCH n
//   BODY.PEEK[1]<0.100> · `picks` × STORE n +FLAGS (\Seen) · SEARCH UNSEEN · SEARCH FROM · SEARCH SUBJECT ·
//   SEARCH BODY · LOGOUT
//
// n is a random sequence number of the selected INBOX. Every answer is checked, not just its tagged OK: BODY[] must
// be exactly RFC822.SIZE bytes, a partial at most 100 bytes, STORE must report \Seen, and on a mailbox that held
// only this client's corpus the four SEARCH results must be exactly the messages the corpus says match.
//
// With `rounds` > 1 (load.ts --rounds, "sessions kept open") the same connection then repeats, without LOGIN or
// LOGOUT: APPEND `roundAppends` messages (taken from the corpus again, in turn) · SELECT INBOX · the FETCH, STORE and
// SEARCH steps above. The client keeps a model of its INBOX (every message it appended, in order), so the exact
// checks hold in every round.
import { ImapClient } from './imap-client.js';
import type { FetchedMessage } from './imap-client.js';
import type { ImapValue } from './imap-parser.js';
import { makeCorpus, RARE_WORD, seededRandom } from './corpus.js';
import type { CorpusMessage } from './corpus.js';
import type { LatencyRecorder } from './latency-stats.js';
import type { PhaseBarrier } from './phase-barrier.js';

/** What every simulated client of either workload (this file's classic one, workload-loop.ts) is given. */
export interface ClientBasePlan {
  index: number;
  host: string;
  port: number;
  user: string;
  password: string;
  /** Messages of the client's corpus put into INBOX (classic: timed APPENDs; loop: the untimed seed). */
  messages: number;
  /** Messages read per round (BODY[], the partial, then STORE \Seen). */
  picks: number;
  seed: number;
  timeoutMs: number;
}

export interface ClientPlan extends ClientBasePlan {
  /** True when every client logs in as the same user: SEARCH results cannot be predicted then. */
  shared: boolean;
  /** Passes over the steps from APPEND to SEARCH on the one connection (1: the classic run). */
  rounds: number;
  /** Messages APPENDed in each round after the first. */
  roundAppends: number;
}

export interface ClientOutcome {
  /** Whether the mailbox held only this client's corpus, so sizes, bodies and SEARCH results were checked exactly. */
  exactChecks: boolean;
}

export class WorkloadCheckError extends Error {
  override readonly name = 'WorkloadCheckError';
}

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new WorkloadCheckError(message);
}

export async function runClient(
  plan: ClientPlan,
  recorder: LatencyRecorder,
  barrier: PhaseBarrier,
  register: (client: ImapClient) => void,
): Promise<ClientOutcome> {
  const corpus = makeCorpus(plan.messages, plan.seed);
  const random = seededRandom(plan.seed ^ 0x5eed);

  const client = await ImapClient.connect({ host: plan.host, port: plan.port, timeoutMs: plan.timeoutMs });
  register(client);
  try {
    return await runPhases(plan, client, corpus, random, recorder, barrier);
  } finally {
    // Whatever happened (a failed check, a broken barrier), this connection must not outlive the run: an open
    // socket keeps the process, and a test file, from exiting.
    client.close();
  }
}

async function runPhases(
  plan: ClientPlan,
  client: ImapClient,
  corpus: CorpusMessage[],
  random: () => number,
  recorder: LatencyRecorder,
  barrier: PhaseBarrier,
): Promise<ClientOutcome> {
  await barrier.wait();
  await recorder.time('LOGIN', () => client.login(plan.user, plan.password));
  if (client.capabilities.size === 0) await client.capability();
  await barrier.wait();

  // What this client put into INBOX, in order, and which sequence numbers it STOREd \Seen (no EXPUNGE, so both stay).
  const mailbox: CorpusMessage[] = [];
  const seen = new Set<number>();
  let exact = true;
  for (let round = 0; round < plan.rounds; round++) {
    const appends =
      round === 0
        ? corpus
        : Array.from({ length: plan.roundAppends }, (_, i) => corpus[(plan.messages + (round - 1) * plan.roundAppends + i) % corpus.length]!);
    const step = { plan, client, corpus, mailbox, seen, random, recorder, barrier, round };
    exact = (await runRound(step, appends)) && exact;
  }

  await recorder.time('LOGOUT', () => client.logout());
  return { exactChecks: exact };
}

interface RoundState {
  plan: ClientPlan;
  client: ImapClient;
  corpus: CorpusMessage[];
  mailbox: CorpusMessage[];
  seen: Set<number>;
  random: () => number;
  recorder: LatencyRecorder;
  barrier: PhaseBarrier;
  round: number;
}

/** One pass from APPEND to SEARCH; true when the INBOX held exactly this client's messages (exact checks). */
async function runRound(state: RoundState, appends: CorpusMessage[]): Promise<boolean> {
  const { plan, client, corpus, mailbox, seen, random, barrier, round } = state;
  const who = `client ${plan.index} (${plan.user})${round > 0 ? ` round ${round + 1}` : ''}`;
  const time = <T>(command: string, run: () => Promise<T>): Promise<T> => state.recorder.time(command, run, round);

  for (const message of appends) {
    await time('APPEND', () => client.append('INBOX', message.raw));
    mailbox.push(message);
  }
  await barrier.wait();

  const selected = await time('SELECT', () => client.select('INBOX'));
  const exists = selected.exists;
  check(exists >= mailbox.length, `${who}: SELECT shows ${exists} messages after appending ${mailbox.length}`);
  // The model is seq 1..n only when the mailbox held nothing else: then sizes, bodies and SEARCH are predictable.
  const predictable = !plan.shared && exists === mailbox.length;
  await barrier.wait();

  const flags = await time('FETCH-FLAGS', () => client.fetch('1:*', '(FLAGS)', { name: 'FETCH-FLAGS' }));
  const flagged = new Set(flags.filter((m) => Array.isArray(m.items.get('FLAGS'))).map((m) => m.seq));
  check(flagged.size >= exists, `${who}: FETCH 1:* (FLAGS) answered for ${flagged.size} of ${exists} messages`);
  await barrier.wait();

  const meta = await time('FETCH-META', () => client.fetch('1:*', '(UID RFC822.SIZE INTERNALDATE)', { name: 'FETCH-META' }));
  const sizes = new Map<number, number>();
  for (const m of meta) {
    const size = Number(m.items.get('RFC822.SIZE'));
    check(Number.isInteger(size) && size > 0, `${who}: bad RFC822.SIZE for ${m.seq}`);
    check(Number(m.items.get('UID')) > 0, `${who}: bad UID for ${m.seq}`);
    check(typeof m.items.get('INTERNALDATE') === 'string', `${who}: no INTERNALDATE for ${m.seq}`);
    sizes.set(m.seq, size);
  }
  check(sizes.size >= exists, `${who}: FETCH 1:* (UID RFC822.SIZE INTERNALDATE) answered for ${sizes.size} of ${exists}`);
  if (predictable) {
    mailbox.forEach((message, i) => {
      check(sizes.get(i + 1) === message.raw.length, `${who}: RFC822.SIZE of ${i + 1} is not the appended size`);
    });
  }
  await barrier.wait();

  const pickSeq = (): number => 1 + Math.floor(random() * exists);
  for (let i = 0; i < plan.picks; i++) {
    const seq = pickSeq();
    const [message] = only('FETCH-ENVELOPE', seq, await time('FETCH-ENVELOPE', () =>
      client.fetch(String(seq), '(ENVELOPE BODYSTRUCTURE)', { name: 'FETCH-ENVELOPE' }),
    ));
    const envelope = message?.items.get('ENVELOPE');
    check(Array.isArray(envelope) && envelope.length === 10, `${who}: ENVELOPE of ${seq} is not a 10-field list`);
    check(Array.isArray(message?.items.get('BODYSTRUCTURE')), `${who}: no BODYSTRUCTURE for ${seq}`);
    if (predictable) checkEnvelopeSubject(envelope, mailbox[seq - 1], `${who}: ENVELOPE subject of ${seq}`);
  }
  await barrier.wait();

  for (let i = 0; i < plan.picks; i++) {
    const seq = pickSeq();
    const [message] = only('FETCH-BODY', seq, await time('FETCH-BODY', () =>
      client.fetch(String(seq), 'BODY.PEEK[]', { name: 'FETCH-BODY' }),
    ));
    const body = message?.items.get('BODY[]');
    check(Buffer.isBuffer(body) && body.length === sizes.get(seq), `${who}: BODY[] of ${seq} is not RFC822.SIZE bytes`);
    if (predictable) check(body.equals(mailbox[seq - 1]?.raw ?? Buffer.alloc(0)), `${who}: BODY[] of ${seq} differs`);
  }
  await barrier.wait();

  for (let i = 0; i < plan.picks; i++) {
    const seq = pickSeq();
    const [message] = only('FETCH-PARTIAL', seq, await time('FETCH-PARTIAL', () =>
      client.fetch(String(seq), 'BODY.PEEK[1]<0.100>', { name: 'FETCH-PARTIAL' }),
    ));
    const part = message?.items.get('BODY[1]<0>');
    check(Buffer.isBuffer(part) && part.length > 0 && part.length <= 100, `${who}: BODY[1]<0> of ${seq} is not 1–100 bytes`);
    if (predictable) {
      const text = Buffer.from(mailbox[seq - 1]?.text ?? '').subarray(0, 100);
      check(part.equals(text), `${who}: BODY[1]<0.100> of ${seq} is not the start of its text part`);
    }
  }
  await barrier.wait();

  for (let i = 0; i < plan.picks; i++) {
    const seq = pickSeq();
    const answer = await time('STORE', () => client.store(String(seq), '+FLAGS (\\Seen)'));
    const mine = answer.filter((m) => m.seq === seq);
    // A server may leave out the FETCH when the flags did not change (Dovecot does). We know they changed only on
    // a fresh mailbox (appended without flags) for a message not stored before.
    if (mine.length === 0) {
      check(seen.has(seq) || !predictable, `${who}: STORE answered no FETCH for ${seq}, whose flags changed`);
    } else {
      const flagList = mine[0]?.items.get('FLAGS');
      check(Array.isArray(flagList) && flagList.some((f) => String(f).toLowerCase() === '\\seen'), `${who}: STORE did not report \\Seen on ${seq}`);
    }
    seen.add(seq);
  }
  await barrier.wait();

  const { fromTerm, subjectTerm } = searchTerms(corpus);
  const searches: Array<[string, string, (m: CorpusMessage, seq: number) => boolean]> = [
    ['SEARCH-UNSEEN', 'UNSEEN', (_m, seq) => !seen.has(seq)],
    ['SEARCH-FROM', `FROM "${fromTerm}"`, (m) => m.from.toLowerCase().includes(fromTerm)],
    ['SEARCH-SUBJECT', `SUBJECT "${subjectTerm}"`, (m) => m.subject.toLowerCase().includes(subjectTerm)],
    ['SEARCH-BODY', `BODY "${RARE_WORD}"`, (m) => m.text.includes(RARE_WORD)],
  ];
  for (const [name, criteria, matches] of searches) {
    const hits = await time(name, () => client.search(criteria, { name }));
    check(hits.every((seq) => Number.isInteger(seq) && seq >= 1 && seq <= client.exists), `${who}: ${name} returned a bad sequence number`);
    if (predictable) {
      const expected = mailbox.flatMap((m, i) => (matches(m, i + 1) ? [i + 1] : []));
      const got = [...new Set(hits)].sort((a, b) => a - b);
      check(JSON.stringify(got) === JSON.stringify(expected), `${who}: ${name} returned [${got.join(' ')}], expected [${expected.join(' ')}]`);
    }
    await barrier.wait();
  }
  return predictable;
}

/** The words SEARCH FROM and SEARCH SUBJECT look for: taken from the client's first message, so they match. */
export function searchTerms(corpus: readonly CorpusMessage[]): { fromTerm: string; subjectTerm: string } {
  const fromTerm = (corpus[0]?.from ?? 'alice').split(' ')[0]?.toLowerCase() ?? 'alice';
  const subjectTerm = (corpus[0]?.subject ?? 'report').replace(/^Re: /, '').split(' ')[0] ?? 'report';
  return { fromTerm, subjectTerm };
}

/** One FETCH or SEARCH step of the workload as a command line; `{n}` stands for a sequence number of INBOX. */
export interface ReadForm {
  /** The row name of load.ts's table. */
  name: string;
  command: 'FETCH' | 'SEARCH';
  text: string;
  /** How often the workload runs it: once (1:* and SEARCH) or once per picked message. */
  repeat: 'once' | 'picks';
}

/** The workload's FETCH and SEARCH steps in order, for benchmarks that run one form alone (the probe, CPU per form). */
export function readForms(corpus: readonly CorpusMessage[]): ReadForm[] {
  const { fromTerm, subjectTerm } = searchTerms(corpus);
  return [
    { name: 'FETCH-FLAGS', command: 'FETCH', text: 'FETCH 1:* (FLAGS)', repeat: 'once' },
    { name: 'FETCH-META', command: 'FETCH', text: 'FETCH 1:* (UID RFC822.SIZE INTERNALDATE)', repeat: 'once' },
    { name: 'FETCH-ENVELOPE', command: 'FETCH', text: 'FETCH {n} (ENVELOPE BODYSTRUCTURE)', repeat: 'picks' },
    { name: 'FETCH-BODY', command: 'FETCH', text: 'FETCH {n} BODY.PEEK[]', repeat: 'picks' },
    { name: 'FETCH-PARTIAL', command: 'FETCH', text: 'FETCH {n} BODY.PEEK[1]<0.100>', repeat: 'picks' },
    { name: 'SEARCH-UNSEEN', command: 'SEARCH', text: 'SEARCH UNSEEN', repeat: 'once' },
    { name: 'SEARCH-FROM', command: 'SEARCH', text: `SEARCH FROM "${fromTerm}"`, repeat: 'once' },
    { name: 'SEARCH-SUBJECT', command: 'SEARCH', text: `SEARCH SUBJECT "${subjectTerm}"`, repeat: 'once' },
    { name: 'SEARCH-BODY', command: 'SEARCH', text: `SEARCH BODY "${RARE_WORD}"`, repeat: 'once' },
  ];
}

/** The FETCH responses for `seq` (others may arrive unsolicited, RFC 3501 §7.4.2); at least one expected. */
function only(command: string, seq: number, messages: FetchedMessage[]): FetchedMessage[] {
  const mine = messages.filter((m) => m.seq === seq);
  check(mine.length >= 1, `${command}: no FETCH response for message ${seq}`);
  return mine;
}

function checkEnvelopeSubject(envelope: ImapValue[], message: CorpusMessage | undefined, what: string): void {
  const subject = envelope[1];
  const text = Buffer.isBuffer(subject) ? subject.toString('utf8') : subject;
  check(text === message?.subject, `${what} is ${JSON.stringify(text)}, expected ${JSON.stringify(message?.subject)}`);
}
