// RFC 5322 §3.3 date-time (with the §4.3 obsolete forms) to epoch milliseconds, for SEARCH SENTON/SENTSINCE and
// SORT DATE. Lenient: the day name is optional, two/three-digit years follow §4.3, seconds may be absent,
// alphabetic zones are the §4.3 ones (military zones count as -0000, i.e. unknown, per the RFC).

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

const ZONES: Record<string, number> = {
  ut: 0,
  utc: 0,
  gmt: 0,
  z: 0,
  est: -5 * 60,
  edt: -4 * 60,
  cst: -6 * 60,
  cdt: -5 * 60,
  mst: -7 * 60,
  mdt: -6 * 60,
  pst: -8 * 60,
  pdt: -7 * 60,
};

const DATE =
  /(\d{1,2})\s*[-\s]\s*([a-z]{3})[a-z]*\.?\s*[-\s]\s*(\d{2,4})\s+(\d{1,2})\s*:\s*(\d{1,2})(?:\s*:\s*(\d{1,2}))?(?:\s*([+-]\d{4}|[a-z]{1,5}))?/i;

/** Parses a Date header value; null when it is not a recognisable date. */
export function parseDate(value: string | null): number | null {
  if (value === null) return null;
  const text = value.replace(/\([^()]*\)/g, ' ');
  const m = DATE.exec(text);
  if (m !== null) {
    const day = Number(m[1]);
    const month = MONTHS.indexOf((m[2] ?? '').toLowerCase());
    let year = Number(m[3]);
    if ((m[3] ?? '').length === 2) year += year < 50 ? 2000 : 1900; // RFC 5322 §4.3
    else if ((m[3] ?? '').length === 3) year += 1900;
    const hour = Number(m[4]);
    const minute = Number(m[5]);
    const second = m[6] === undefined ? 0 : Number(m[6]);
    let offset = 0;
    const zone = m[7];
    if (zone !== undefined) {
      if (zone.startsWith('+') || zone.startsWith('-')) {
        const sign = zone.startsWith('-') ? -1 : 1;
        offset = sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3, 5)));
      } else {
        offset = ZONES[zone.toLowerCase()] ?? 0;
      }
    }
    if (month >= 0 && day >= 1 && day <= 31 && hour <= 23 && minute <= 59 && second <= 60) {
      const ms = Date.UTC(year, month, day, hour, minute, second) - offset * 60_000;
      if (Number.isFinite(ms)) return ms;
    }
  }
  const fallback = Date.parse(text);
  return Number.isFinite(fallback) ? fallback : null;
}
