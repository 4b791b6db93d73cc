// Generates a reproducible corpus of RFC 5322 messages for the load generator: sizes spread log-uniformly over
// 2–50 KB, about a third multipart/mixed (RFC 2046) with a base64 attachment (RFC 2045 §6.8). Each message records
// what SEARCH should find in it, so the load generator can check SEARCH answers on a fresh mailbox.

export interface CorpusMessage {
  raw: Buffer;
  from: string;
  subject: string;
  /** The decoded text of its text/plain part, as SEARCH BODY sees it. */
  text: string;
  multipart: boolean;
}

export const SENDERS = [
  'Alice Archer <alice@example.org>',
  'Bob Baker <bob@example.net>',
  'Carol Cooper <carol@example.com>',
  'Dave Dyer <dave@example.org>',
  'Erin Evans <erin@example.net>',
  'Frank Fisher <frank@example.com>',
];

const WORDS = (
  'ledger quarterly invoice meeting roadmap storage latency outage release budget mailbox tenant report ' +
  'review draft schedule customer contract update summary migration backup cluster region pricing ' +
  'holiday travel planning agenda feedback proposal metrics capacity incident rollout'
).split(' ');

/** A rare word put into about one text body in ten, for SEARCH BODY. */
export const RARE_WORD = 'zephyrine';

const MIN_BYTES = 2 * 1024;
const MAX_BYTES = 50 * 1024;

/** mulberry32: a tiny seeded PRNG, so a run can be repeated message for message. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function makeCorpus(count: number, seed: number): CorpusMessage[] {
  const random = seededRandom(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const messages: CorpusMessage[] = [];
  for (let i = 0; i < count; i++) {
    const target = Math.round(MIN_BYTES * (MAX_BYTES / MIN_BYTES) ** random());
    const from = pick(SENDERS);
    const subject = `${random() < 0.3 ? 'Re: ' : ''}${Array.from({ length: 3 + Math.floor(random() * 4) }, () => pick(WORDS)).join(' ')}`;
    const multipart = random() < 0.33;
    const date = new Date(Date.UTC(2025, 0, 1) + Math.floor(random() * 300 * 86_400_000));
    const header = [
      `From: ${from}`,
      `To: Bench Reader <reader@example.com>`,
      `Subject: ${subject}`,
      `Date: ${date.toUTCString().replace('GMT', '+0000')}`,
      `Message-ID: <bench-${seed}-${i}@example.com>`,
      'MIME-Version: 1.0',
    ];
    // Text takes the whole budget of a single-part message and a quarter of a multipart one.
    const textBytes = multipart ? Math.max(400, Math.floor(target / 4)) : target - 300;
    const text = paragraphText(random, pick, textBytes);
    let raw: string;
    if (multipart) {
      const boundary = `=_bench_${seed}_${i}`;
      const attachmentBytes = Math.max(256, Math.floor(((target - textBytes - 700) * 3) / 4));
      const attachment = Buffer.alloc(attachmentBytes);
      for (let b = 0; b < attachment.length; b++) attachment[b] = Math.floor(random() * 256);
      raw = [
        ...header,
        `Content-Type: multipart/mixed; boundary="${boundary}"`,
        '',
        'This is a multi-part message in MIME format.',
        `--${boundary}`,
        'Content-Type: text/plain; charset=utf-8',
        'Content-Transfer-Encoding: 7bit',
        '',
        text,
        `--${boundary}`,
        `Content-Type: application/octet-stream; name="data-${i}.bin"`,
        'Content-Transfer-Encoding: base64',
        `Content-Disposition: attachment; filename="data-${i}.bin"`,
        '',
        wrap(attachment.toString('base64'), 76),
        `--${boundary}--`,
        '',
      ].join('\r\n');
    } else {
      raw = [...header, 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 7bit', '', text, ''].join('\r\n');
    }
    messages.push({ raw: Buffer.from(raw, 'utf8'), from, subject, text, multipart });
  }
  return messages;
}

/** Lines of at most 72 characters, made of whole words, so a search word is never split. */
function paragraphText(random: () => number, pick: (list: readonly string[]) => string, bytes: number): string {
  const withRare = random() < 0.1;
  const lines: string[] = [];
  let line = withRare ? RARE_WORD : pick(WORDS);
  let size = 0;
  while (size < bytes) {
    const word = pick(WORDS);
    if (line.length + 1 + word.length > 72) {
      lines.push(line);
      size += line.length + 2;
      line = word;
    } else {
      line += ` ${word}`;
    }
  }
  lines.push(line);
  return lines.join('\r\n');
}

function wrap(text: string, width: number): string {
  const lines: string[] = [];
  for (let i = 0; i < text.length; i += width) lines.push(text.slice(i, i + width));
  return lines.join('\r\n');
}
