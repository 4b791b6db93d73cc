// Base subject extraction (RFC 5256 §2.1, steps 1–7) for SORT SUBJECT and both THREAD algorithms, and the
// i;unicode-casemap collation key (RFC 5051) that SORT and THREAD compare strings with (RFC 5256 §7). Pure.

export interface BaseSubject {
  /** The base subject, case preserved. */
  readonly base: string;
  /**
   * The extraction removed a subj-refwd ("Re:", "Fwd:"), a "(fwd)" trailer, or a "[fwd: …]" wrapper: the message is
   * a reply or forward for THREAD=REFERENCES step 5 (RFC 5256 §3).
   */
  readonly isReply: boolean;
}

// subj-blob = "[" *BLOBCHAR "]" *WSP; subj-refwd = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":" (RFC 5256 §5).
// After step 1 the only whitespace left is single spaces.
const BLOB = /^\[[^[\]]*\] */;
const LEADER = /^(?:\[[^[\]]*\] *)*(?:re|fwd?) *(?:\[[^[\]]*\] *)?:/i;

/** `subject` is the Subject header already RFC 2047 decoded (HeaderCache.subject), or null when absent. */
export function baseSubject(subject: string | null): BaseSubject {
  // (1) tabs and continuations to space, runs of spaces to one space.
  let s = (subject ?? '').replace(/[\t\r\n]/g, ' ').replace(/ {2,}/g, ' ');
  let isReply = false;
  for (;;) {
    // (2) remove subj-trailer ("(fwd)" / WSP) from the end, repeatedly.
    for (;;) {
      if (s.endsWith(' ')) s = s.slice(0, -1);
      else if (s.slice(-5).toLowerCase() === '(fwd)') {
        s = s.slice(0, -5);
        isReply = true;
      } else break;
    }
    // (3)–(5) remove subj-leader, then a subj-blob unless it would leave the subject empty, until nothing matches.
    for (;;) {
      let changed = false;
      for (;;) {
        if (s.startsWith(' ')) s = s.slice(1);
        else {
          const leader = LEADER.exec(s);
          if (!leader) break;
          s = s.slice(leader[0].length);
          isReply = true;
        }
        changed = true;
      }
      const blob = BLOB.exec(s);
      if (blob && s.length > blob[0].length) {
        s = s.slice(blob[0].length);
        changed = true;
      }
      if (!changed) break;
    }
    // (6) "[fwd:" … "]" around the whole rest: unwrap and repeat from (2).
    if (s.length >= 6 && s.slice(0, 5).toLowerCase() === '[fwd:' && s.endsWith(']')) {
      s = s.slice(5, -1);
      isReply = true;
      continue;
    }
    return { base: s, isReply };
  }
}

/**
 * The i;unicode-casemap key of RFC 5051 §2, approximated: each character gets its uppercase form when that is a
 * single character (close to the simple titlecase mapping the RFC names), then NFKD decomposition, then the case
 * mapping once more so that decomposed compatibility characters (the "ﬁ" ligature) fold like what they stand for.
 * Keys are compared with compareKeys (code point order, which is UTF-8 octet order as i;octet requires).
 */
export function collationKey(text: string): string {
  if (ASCII.test(text)) return text.toUpperCase(); // NFKD leaves ASCII as it is
  return simpleUpper(simpleUpper(text).normalize('NFKD'));
}

const ASCII = /^[^\u0080-\u{10ffff}]*$/u;

function simpleUpper(text: string): string {
  let out = '';
  for (const ch of text) {
    const upper = ch.toUpperCase();
    out += [...upper].length === 1 ? upper : ch;
  }
  return out;
}

/** Code point order of two strings; JavaScript's `<` compares UTF-16 units, which misorders U+E000–U+FFFF. */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i) ?? 0;
    const y = b.codePointAt(i) ?? 0;
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++;
  }
  return a.length - b.length < 0 ? -1 : a.length === b.length ? 0 : 1;
}
