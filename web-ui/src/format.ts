// How numbers, instants and sizes read on the dashboard.

const number = new Intl.NumberFormat(undefined);
export const num = (n: number): string => number.format(n);

// The zone is said: a satellite's admins and its devices are often in different ones.
const dateTime = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short' });
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });

/** A calendar date (license starts and ends), or `never` for none. */
export function day(iso: string | null | undefined, never = '—'): string {
  if (!iso) return never;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : dateOnly.format(d);
}

/** "1 record", "2 records"; `many` for irregular plurals. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${num(n)} ${n === 1 ? one : many}`;
}

/** Alert types (SPEC §7) as words. */
const ALERT_WORDS: Record<string, string> = {
  expiring: 'Licenses expiring',
  expired: 'In use without an active license',
  insufficient: 'Short of licenses',
  'sync-failing': 'Sync failing',
  'sync-overdue': 'Sync overdue',
  'lapse-approaching': 'Registration lapse approaching',
  'unknown-virtual-account': 'Licenses for an unknown virtual account',
  'collector-failing': 'Collector failing',
  'clock-suspect': 'Clock suspect',
  'storage-unavailable': 'Storage unavailable',
  'report-quarantined': 'Report quarantined',
  'notify-failing': 'Notifications failing',
};
export const alertWords = (type: string): string => ALERT_WORDS[type] ?? type.replace(/[-_]/g, ' ').replace(/^./, (c) => c.toUpperCase());

export function when(iso: string | null | undefined, never = 'never'): string {
  if (!iso) return never;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : dateTime.format(d);
}

/** "3 days ago", "in 5 hours": coarse, for a glance; the exact instant goes in a title. */
export function relative(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '';
  const diff = t - now;
  const abs = Math.abs(diff);
  const units: Array<[Intl.RelativeTimeFormatUnit, number]> = [
    ['day', 86_400_000],
    ['hour', 3_600_000],
    ['minute', 60_000],
  ];
  const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
  for (const [unit, ms] of units) if (abs >= ms) return rtf.format(Math.round(diff / ms), unit);
  return 'just now';
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** A failed exchange as one line: the daemon's sentence, its code, and when. */
export const exchangeErrorText = (e: { code: string; message: string; at: string }): string => `${e.message} (${e.code}, ${when(e.at)})`;

/**
 * Where the exchange of satellite reports stands, from GET /api/sync's `sequence` (both null
 * before the first export; `acknowledged` null until a cloud response answers one).
 */
export function reportSequences(seq: { exported: number | null; acknowledged: number | null }): string {
  if (seq.exported === null) return 'never exported';
  const acked = seq.acknowledged === null ? 'none acknowledged yet' : `#${seq.acknowledged} acknowledged by the cloud`;
  return `#${seq.exported} exported, ${acked}`;
}

/** A value of an event's details as text: absent ones as a dash, objects as JSON. */
export function detailText(v: unknown): string {
  if (v === null || v === undefined) return '—';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** A VA reference as text: its path, or the account-wide label. */
export const vaText = (va: { path: string } | string | null | undefined): string =>
  va === null || va === undefined ? 'whole account' : typeof va === 'string' ? va : va.path;

/** `datetime-local` value → ISO instant (local time), or null when empty. */
export function localInputToIso(value: string): string | null {
  if (!value) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}
