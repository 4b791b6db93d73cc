// System flags as a bitmask on the hot item (RFC 3501 §2.3.2); keywords are kept as a list beside it.
// \Recent is not stored: it is a session property (RFC 9051 removed it).

export const SYSTEM_FLAGS = ['\\Seen', '\\Answered', '\\Flagged', '\\Deleted', '\\Draft'] as const;
export type SystemFlag = (typeof SYSTEM_FLAGS)[number];

export const FLAG_SEEN = 1;
export const FLAG_ANSWERED = 2;
export const FLAG_FLAGGED = 4;
export const FLAG_DELETED = 8;
export const FLAG_DRAFT = 16;

const BIT: Record<string, number> = {
  '\\seen': FLAG_SEEN,
  '\\answered': FLAG_ANSWERED,
  '\\flagged': FLAG_FLAGGED,
  '\\deleted': FLAG_DELETED,
  '\\draft': FLAG_DRAFT,
};

/** Splits client flag names into the system bitmask and keywords (case-insensitive system flags, keywords as given). */
export function parseFlags(names: readonly string[]): { bits: number; keywords: string[] } {
  let bits = 0;
  const keywords: string[] = [];
  for (const name of names) {
    const bit = BIT[name.toLowerCase()];
    if (bit !== undefined) bits |= bit;
    else if (!name.startsWith('\\') && !keywords.includes(name)) keywords.push(name);
  }
  return { bits, keywords };
}

export function flagNames(bits: number, keywords: readonly string[] = []): string[] {
  const names: string[] = [];
  SYSTEM_FLAGS.forEach((name, i) => {
    if (bits & (1 << i)) names.push(name);
  });
  return names.concat(keywords);
}
