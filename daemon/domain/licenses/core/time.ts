// Instants for the license core: strict ISO 8601 parsing (a calendar date that does not exist
// is refused rather than rolled over, as Date.parse would) and the day arithmetic of §6.

/** A moment given by the caller: a Date or milliseconds since the epoch. */
export type Instant = Date | number;

export const DAY_MS = 86_400_000;

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-](\d{2}):(\d{2}))$/;

/**
 * Milliseconds of a strict ISO 8601 date-time with a zone (`Z` or `±hh:mm`), or undefined
 * when the text is not one (wrong shape, or a date such as February 30).
 */
export function parseIso(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  const m = ISO.exec(text);
  if (m === null) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number, number, number, number, number, number,
  ];
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return undefined;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > daysInMonth) return undefined;
  if (m[8] !== 'Z' && (Number(m[9]) > 23 || Number(m[10]) > 59)) return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}

/** Milliseconds of an instant; a TypeError for an invalid one (a caller's mistake). */
export function toMs(at: Instant): number {
  const ms = typeof at === 'number' ? at : at.getTime();
  if (!Number.isFinite(ms)) throw new TypeError('invalid instant');
  return ms;
}

/** The instant as the ISO text stored in state. */
export function toIso(at: Instant): string {
  return new Date(toMs(at)).toISOString();
}
