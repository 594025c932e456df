// `outpost licenses | devices | alerts | events | account`: what the dashboard shows, for an
// operator at a shell — a readable table, or with --json one document (`{"items":[…]}`).
import { CliError } from './output.ts';
import { allItems } from './pages.ts';
import { table, when } from './table.ts';
import type { Verb } from './verbs.ts';

type VaRef = { id: string; path: string } | null;

interface Pool {
  virtualAccount: VaRef;
  entitlement: string;
  purchased: number;
  reserved: number;
  inUse: number;
  available: number;
  status: string;
  flags: string[];
}

interface Device {
  id: string;
  udi: { pid: string; sn: string };
  hostname: string | null;
  virtualAccount: { id: string; path: string };
  state: string;
  via: string;
  lastReportAt: string | null;
  revoked: boolean;
}

interface Alert {
  type: string;
  severity: string;
  virtualAccount: VaRef;
  entitlement: string | null;
  since: string;
  message: string;
}

interface Event {
  id: string;
  at: string;
  actor: string;
  type: string;
  virtualAccount: VaRef;
  details: Record<string, unknown>;
}

interface AccountView {
  id: string | null;
  name: string;
  domain: string | null;
  type: string;
  registration: string;
  lastCloudContact: string | null;
  daysUntilLapse: number | null;
}

const str = (v: string | boolean | undefined): string | undefined => (typeof v === 'string' ? v : undefined);
const vaText = (va: VaRef): string => va?.path ?? '(account)';

/** `--va` as the API takes it: a path or id, never empty. */
function vaOption(v: string | boolean | undefined): string | undefined {
  const va = str(v);
  if (va !== undefined && va.trim() === '') throw new CliError('INVALID_REQUEST', '--va must name a virtual account, e.g. --va Default/Eng');
  return va;
}

function positiveInt(name: string, v: string | boolean | undefined, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  if (!(n >= 1 && n <= max)) throw new CliError('INVALID_REQUEST', `--${name} must be 1 to ${max}`);
  return n;
}

/**
 * `--since` / `--until`: a date or time (`2026-12-01`, `2026-12-01T08:00:00Z`), or how long ago
 * (`30m`, `24h`, `7d`). Returned as the ISO timestamp the API takes.
 */
export function timeOption(name: string, v: string | boolean | undefined, now: Date): string | undefined {
  if (v === undefined) return undefined;
  const s = typeof v === 'string' ? v.trim() : '';
  const ago = /^(\d{1,6})([mhd])$/.exec(s);
  if (ago) return new Date(now.getTime() - Number(ago[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[ago[2] as 'm' | 'h' | 'd']).toISOString();
  if (/^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`))) return new Date(`${s}T00:00:00Z`).toISOString();
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(s) && !Number.isNaN(Date.parse(s))) return new Date(s).toISOString();
  throw new CliError('INVALID_REQUEST', `--${name} must be a date (2026-12-01), a time (2026-12-01T08:00:00Z) or how long ago (30m, 24h, 7d)`);
}

export const licenses: Verb = {
  options: { va: { type: 'string' }, nested: { type: 'boolean', default: false } },
  async run({ client, out, values, positionals }) {
    if (positionals.length > 0) throw new CliError('INVALID_REQUEST', 'usage: outpost licenses [--va PATH|all] [--nested]');
    const va = vaOption(values.va);
    const items = await allItems<Pool>(client, '/api/licenses', { va, nested: values.nested ? 'true' : undefined });
    out.result({ items }, (v) =>
      v.items.length === 0
        ? 'no licenses'
        : table(
            ['VIRTUAL ACCOUNT', 'ENTITLEMENT', 'PURCHASED', 'RESERVED', 'IN USE', 'AVAILABLE', 'STATUS'],
            v.items.map((p) => [
              p.virtualAccount ? p.virtualAccount.path : 'all',
              p.entitlement,
              String(p.purchased),
              String(p.reserved),
              String(p.inUse),
              String(p.available),
              [p.status, ...p.flags].join(' '),
            ]),
          ),
    );
  },
};

export const devices: Verb = {
  options: {
    va: { type: 'string' },
    nested: { type: 'boolean', default: false },
    q: { type: 'string' },
    state: { type: 'string' },
    limit: { type: 'string' },
  },
  async run({ client, out, values, positionals }) {
    if (positionals.length > 0) throw new CliError('INVALID_REQUEST', 'usage: outpost devices [--va PATH] [--nested] [--q TEXT] [--state registered|deregistered] [--limit N]');
    const va = vaOption(values.va);
    const q = str(values.q);
    if (q !== undefined && (q.length === 0 || q.length > 256)) throw new CliError('INVALID_REQUEST', '--q must be 1 to 256 characters');
    const state = str(values.state);
    if (state !== undefined && state !== 'registered' && state !== 'deregistered') throw new CliError('INVALID_REQUEST', '--state must be registered or deregistered');
    const max = positiveInt('limit', values.limit, 1_000_000) ?? Infinity;
    const items = await allItems<Device>(client, '/api/devices', { va, nested: values.nested ? 'true' : undefined, q, state }, max);
    out.result({ items }, (v) =>
      v.items.length === 0
        ? 'no devices'
        : table(
            ['PID', 'SERIAL', 'HOSTNAME', 'VIRTUAL ACCOUNT', 'STATE', 'VIA', 'LAST REPORT'],
            v.items.map((d) => [d.udi.pid, d.udi.sn, d.hostname ?? '-', d.virtualAccount.path, d.revoked ? `${d.state} (revoked)` : d.state, d.via, when(d.lastReportAt)]),
          ),
    );
  },
};

export const alerts: Verb = {
  options: { va: { type: 'string' }, nested: { type: 'boolean', default: false } },
  async run({ client, out, values, positionals }) {
    if (positionals.length > 0) throw new CliError('INVALID_REQUEST', 'usage: outpost alerts [--va PATH] [--nested]');
    const va = vaOption(values.va);
    const items = await allItems<Alert>(client, '/api/alerts', { va, nested: values.nested ? 'true' : undefined });
    out.result({ items }, (v) =>
      v.items.length === 0
        ? 'no alerts'
        : table(
            ['SEVERITY', 'TYPE', 'VIRTUAL ACCOUNT', 'ENTITLEMENT', 'SINCE', 'MESSAGE'],
            v.items.map((a) => [a.severity, a.type, vaText(a.virtualAccount), a.entitlement ?? '-', when(a.since), a.message]),
          ),
    );
  },
};

export const events: Verb = {
  options: {
    since: { type: 'string' },
    until: { type: 'string' },
    type: { type: 'string' },
    va: { type: 'string' },
    limit: { type: 'string' },
  },
  async run({ client, out, values, positionals }) {
    if (positionals.length > 0) throw new CliError('INVALID_REQUEST', 'usage: outpost events [--since WHEN] [--until WHEN] [--type TYPE] [--va PATH] [--limit N]');
    const now = new Date();
    const since = timeOption('since', values.since, now);
    const until = timeOption('until', values.until, now);
    const type = str(values.type);
    if (type !== undefined && !/^[a-z0-9_-]+(\.[a-z0-9_-]+)*(\.\*)?(,[a-z0-9_-]+(\.[a-z0-9_-]+)*(\.\*)?)*$/.test(type)) {
      throw new CliError('INVALID_REQUEST', '--type must be event types separated by commas, e.g. user.login_failed or "user.*"');
    }
    // Newest first; without --since the last 50, so a long log does not scroll past.
    const max = positiveInt('limit', values.limit, 1_000_000) ?? (since === undefined ? 50 : Infinity);
    const items = await allItems<Event>(client, '/api/events', { since, until, type, va: vaOption(values.va) }, max);
    out.result({ items }, (v) =>
      v.items.length === 0
        ? 'no events'
        : table(
            ['AT', 'ACTOR', 'TYPE', 'VIRTUAL ACCOUNT', 'DETAILS'],
            v.items.map((e) => [e.at.slice(0, 19).replace('T', ' ') + 'Z', e.actor, e.type, vaText(e.virtualAccount), JSON.stringify(e.details)]),
          ),
    );
  },
};

export const account: Verb = {
  async run({ client, out, positionals }) {
    if (positionals.length > 0) throw new CliError('INVALID_REQUEST', 'usage: outpost account');
    const a = await client.call<AccountView>('GET', '/api/account');
    out.result(a, (v) =>
      [
        `name           ${v.name}`,
        `id             ${v.id ?? '- (not registered)'}`,
        `domain         ${v.domain ?? '-'}`,
        `type           ${v.type}`,
        `registration   ${v.registration}`,
        `cloud contact  ${v.lastCloudContact ?? 'never'}${v.daysUntilLapse !== null ? `, ${v.daysUntilLapse} days until lapse` : ''}`,
      ].join('\n'),
    );
  },
};
