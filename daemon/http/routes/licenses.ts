// /api/licenses: pools per VA and entitlement (SPEC §6), the account-wide sum, and transfers.
import { z } from 'zod';
import type { Access } from '../../domain/access/roles.ts';
import { actorOf } from '../../domain/access/roles.ts';
import { lineKey, lineViews } from '../../domain/licenses/lines/index.ts';
import { HISTORY_DAYS, dayOf, readUsageHistory, usagePointKey } from '../../domain/licenses/history/index.ts';
import type { Licensing, PoolJson } from '../../domain/licenses/workspace/index.ts';
import type { State } from '../../domain/satellite/state.ts';
import { listScope } from '../../domain/access/va-scope.ts';
import type { Store } from '../../store/index.ts';
import type { AdminRouter } from '../admin-app.ts';
import { ADMIN_BODY_LIMIT, readJson } from '../body.ts';
import { pageParams, paginate } from '../pagination.ts';
import { flag, paging, parseQuery } from '../query.ts';

const poolsQuery = z.strictObject({ va: z.string().min(1).max(1024).optional(), nested: flag, ...paging });
const historyQuery = z.strictObject({
  va: z.string().min(1).max(1024).optional(),
  nested: flag,
  entitlement: z.string().min(1).max(256).optional(),
  /** How many days back, today included. */
  days: z.string().regex(/^\d{1,3}$/, `must be a whole number from 1 to ${HISTORY_DAYS}`).optional().transform((v) => (v === undefined ? 90 : Number(v))).refine((n) => n >= 1 && n <= HISTORY_DAYS, `must be a whole number from 1 to ${HISTORY_DAYS}`),
  ...paging,
});
const linesQuery = z.strictObject({ va: z.string().min(1).max(1024).optional(), nested: flag, entitlement: z.string().min(1).max(256).optional(), ...paging });

export function licenseRoutes(deps: { licensing: Licensing; access: Access; state: State; clock: () => Date; store: Pick<Store, 'iterate'> }) {
  const { licensing, access, state } = deps;
  return (router: AdminRouter) => {
    /**
     * No `va`: every VA the caller may see, one pool per VA and entitlement. `va=all`: one pool
     * per entitlement summing those VAs (the whole account for account-wide roles),
     * `virtualAccount` null. `va=X`: that VA's pools; with `nested=true` each VA below it too.
     */
    router.get('/api/licenses', async (ctx) => {
      const p = ctx.state.principal;
      const query = parseQuery(ctx, poolsQuery);
      const { limit, cursor } = pageParams(ctx);
      await licensing.whenCounted(); // seconds at most, after an unclean shutdown
      const now = deps.clock();
      if (query.va === 'all') {
        access.requireSome(p, 'license.read');
        const items = licensing.sum(now, access.scope(p, 'license.read')).map(licensing.poolJson);
        ctx.body = paginate(items, (i) => i.entitlement, limit, cursor);
        return;
      }
      const scope = listScope(state, access, p, 'license.read', query.va, query.nested);
      const items = licensing.pools(now, scope).map(licensing.poolJson);
      const keyOf = (i: PoolJson) => `${i.virtualAccount!.path}\u0000${i.entitlement}`;
      const keyed = items.map((i) => ({ k: keyOf(i), i })).sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
      const page = paginate(keyed, (e) => e.k, limit, cursor);
      ctx.body = { items: page.items.map((e) => e.i), next: page.next };
    });

    /**
     * The lines behind the pools: one row per line and VA holding part of it (SKU, description,
     * type, quantity, start, end, days left, standing, transfers in and out). `va` and `nested`
     * scope as on pools; `entitlement` narrows to one.
     */
    router.get('/api/licenses/lines', (ctx) => {
      const p = ctx.state.principal;
      const query = parseQuery(ctx, linesQuery);
      const { limit, cursor } = pageParams(ctx);
      const scope = listScope(state, access, p, 'license.read', query.va, query.nested);
      const items = lineViews(licensing.book.state, { vaIds: scope, entitlement: query.entitlement, now: deps.clock(), vaRef: (id) => state.vaRef(id) });
      ctx.body = paginate(items, lineKey, limit, cursor);
    });

    /**
     * Usage over time: per day and entitlement, in use, purchased and reserved summed over the
     * VAs in scope (`va`, `nested` as on pools; none: all the caller may see), from the daily
     * samples (`days` back, default 90). Sorted by entitlement, then day.
     */
    router.get('/api/licenses/history', async (ctx) => {
      const p = ctx.state.principal;
      const query = parseQuery(ctx, historyQuery);
      const { limit, cursor } = pageParams(ctx);
      const scope = listScope(state, access, p, 'license.read', query.va, query.nested);
      const since = dayOf(new Date(deps.clock().getTime() - (query.days - 1) * 86_400_000));
      const items = await readUsageHistory(deps.store, { since, vaIds: scope, entitlement: query.entitlement });
      ctx.body = paginate(items, usagePointKey, limit, cursor);
    });

    router.post('/api/licenses/transfer', async (ctx) => {
      const p = ctx.state.principal;
      access.requireSome(p, 'license.write');
      const body = await readJson(ctx, ADMIN_BODY_LIMIT);
      ctx.status = 201;
      ctx.body = await licensing.transfer(body, actorOf(p), (vaId) => access.require(p, 'license.write', vaId));
    });
  };
}
