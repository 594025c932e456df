// /api/reservations: Specific License Reservation (SPEC §8) — list, reserve (answering the
// signed authorization code) and return (a device's return code).
import { z } from 'zod';
import type { Access } from '../../domain/access/roles.ts';
import { actorOf } from '../../domain/access/roles.ts';
import type { Licensing } from '../../domain/licenses/workspace/index.ts';
import type { State } from '../../domain/satellite/state.ts';
import { listScope } from '../../domain/access/va-scope.ts';
import type { AdminRouter } from '../admin-app.ts';
import { ADMIN_BODY_LIMIT, readJson } from '../body.ts';
import { pageParams, paginate } from '../pagination.ts';
import { flag, paging, parseQuery } from '../query.ts';

const listQuery = z.strictObject({
  va: z.string().min(1).max(1024).optional(),
  nested: flag,
  state: z.enum(['reserved', 'returned']).optional(),
  ...paging,
});

export function reservationRoutes(deps: { licensing: Licensing; access: Access; state: State }) {
  const { licensing, access } = deps;
  return (router: AdminRouter) => {
    /** Oldest first (by the time reserved); a held reservation carries its authorization code again. */
    router.get('/api/reservations', async (ctx) => {
      const p = ctx.state.principal;
      const query = parseQuery(ctx, listQuery);
      const { limit, cursor } = pageParams(ctx);
      const scope = listScope(deps.state, access, p, 'license.read', query.va, query.nested);
      const all = licensing.reservations(scope).filter((r) => query.state === undefined || r.state === query.state);
      const keyed = all.map((r) => ({ k: `${r.at}\u0000${r.reservationId}`, r })).sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
      const page = paginate(keyed, (e) => e.k, limit, cursor);
      ctx.body = {
        items: await Promise.all(
          page.items.map(async ({ r }) => ({
            ...licensing.reservationJson(r),
            authorizationCode: r.state === 'reserved' ? await licensing.authorizationCode(r) : null,
          })),
        ),
        next: page.next,
      };
    });

    router.post('/api/reservations', async (ctx) => {
      const p = ctx.state.principal;
      access.requireSome(p, 'license.write');
      const body = await readJson(ctx, ADMIN_BODY_LIMIT);
      ctx.status = 201;
      ctx.body = await licensing.reserve(body, actorOf(p), (vaId) => access.require(p, 'license.write', vaId));
    });

    // The reservation a return code names is the object: outside the caller's VAs it is 404
    // (as if it did not exist) before any 403.
    router.post('/api/reservations/return', async (ctx) => {
      const p = ctx.state.principal;
      const body = await readJson(ctx, ADMIN_BODY_LIMIT);
      ctx.body = await licensing.returnReservation(body, actorOf(p), (vaId) => access.require(p, 'license.write', vaId));
    });
  };
}
