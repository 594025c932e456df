// Instants as SPEC §3 writes them: `YYYY-MM-DDTHH:MM:SS[.fff](Z|±hh:mm)`, and only real ones.
// `Date.parse` is no judge of that: it rolls 2026-11-31 over to December 1st, takes `T24:00`
// as the next midnight and accepts forms the bundle schema later refuses. One parser here, pure
// (no IO, no zod), serves the device API and the bundle records alike (usage-report.ts), so what
// one accepts the other does.

const FORM = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?(?:(Z)|([+-])(\d{2}):(\d{2}))$/;

const isLeap = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

/** Days in month `m` (1–12) of year `y`. */
export function daysInMonth(y: number, m: number): number {
  if (m === 2) return isLeap(y) ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/**
 * The instant `text` names, as milliseconds since the epoch, or null when it is not a real
 * instant in the one accepted form: month 01–12, a day the month has (leap years counted),
 * hour 00–23, minute and second 00–59 (no leap second), 1 to 3 fraction digits, and `Z` or an
 * offset of at most ±23:59. Years 0001–9999.
 */
export function parseInstant(text: unknown): number | null {
  if (typeof text !== 'string' || text.length > 29) return null;
  const m = FORM.exec(text);
  if (!m) return null;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6]);
  const ms = m[7] === undefined ? 0 : Number(m[7].padEnd(3, '0'));
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  let offsetMinutes = 0;
  if (m[8] !== 'Z') {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return null;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  // Date.UTC maps years 0–99 to 1900–1999; setUTCFullYear does not.
  const d = new Date(Date.UTC(2000, month - 1, day, hour, minute, second, ms));
  d.setUTCFullYear(year);
  return d.getTime() - offsetMinutes * 60_000;
}

/** True when `text` is a real instant in the accepted form. */
export const isInstant = (text: unknown): text is string => parseInstant(text) !== null;

/** The same instant in UTC as `toISOString()` writes it (milliseconds, `Z`); null if not an instant. */
export function toUtcInstant(text: unknown): string | null {
  const ms = parseInstant(text);
  return ms === null ? null : new Date(ms).toISOString();
}

/** The sentence a refusal says of a field that is not an instant. */
export const INSTANT_EXPECTED = 'expected a real instant written YYYY-MM-DDTHH:MM:SS[.fff] with Z or ±hh:mm';
