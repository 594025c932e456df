// Reads several pages share.
import { all } from './api.ts';
import type { Session } from './session.ts';
import type { Pool, VirtualAccount } from './types.ts';

export function loadVas(signal?: AbortSignal): Promise<VirtualAccount[]> {
  return all<VirtualAccount>('/api/virtual-accounts', {}, signal);
}

/**
 * The pools a user may see summed per entitlement: the account-wide sum when their role is
 * account-wide, else the sum over the VAs their grants cover.
 */
export async function loadAccountPools(session: Session, signal?: AbortSignal): Promise<Pool[]> {
  if (session.canAccount('license.read')) return all<Pool>('/api/licenses', { va: 'all' }, signal);
  const roots = session.me.roles.filter((g) => g.virtualAccount !== null).map((g) => g.virtualAccount!);
  // A grant nested inside another one would count twice: keep the outermost.
  const outer = roots.filter((r) => !roots.some((o) => o !== r && r.path.startsWith(`${o.path}/`)));
  const seen = new Set<string>();
  const lists = await Promise.all(
    outer.filter((r) => !seen.has(r.id) && seen.add(r.id)).map((r) => all<Pool>('/api/licenses', { va: r.id, nested: true }, signal)),
  );
  const sum = new Map<string, Pool>();
  for (const p of lists.flat()) {
    const s = sum.get(p.entitlement) ?? { virtualAccount: null, entitlement: p.entitlement, purchased: 0, reserved: 0, inUse: 0, available: 0, status: 'ok', flags: [] };
    s.purchased += p.purchased;
    s.reserved += p.reserved;
    s.inUse += p.inUse;
    s.available += p.available;
    if (p.status === 'insufficient') s.status = 'insufficient';
    for (const f of p.flags) if (!s.flags.includes(f)) s.flags.push(f);
    sum.set(p.entitlement, s);
  }
  return [...sum.values()];
}

