// GET /api/alerts: the standing alerts of every source (SPEC §7), within the caller's VAs.
// Alerts about the whole satellite (no VA) are shown to everyone who may read licenses.
import { z } from 'zod';
import type { Access } from '../../domain/access/roles.ts';
import { alertKey, alertView, collectAlerts, type AlertSource } from '../../domain/alerts/alerts.ts';
import type { State } from '../../domain/satellite/state.ts';
import { listScope } from '../../domain/access/va-scope.ts';
import type { AdminRouter } from '../admin-app.ts';
import { pageParams, paginate } from '../pagination.ts';
import { flag, paging, parseQuery } from '../query.ts';

const alertsQuery = z.strictObject({ va: z.string().min(1).max(1024).optional(), nested: flag, ...paging });

export function alertRoutes(deps: { sources: readonly AlertSource[]; access: Access; state: State; clock: () => Date }) {
  return (router: AdminRouter) => {
    router.get('/api/alerts', (ctx) => {
      const p = ctx.state.principal;
      const query = parseQuery(ctx, alertsQuery);
      const { limit, cursor } = pageParams(ctx);
      const scope = listScope(deps.state, deps.access, p, 'license.read', query.va, query.nested);
      const alerts = collectAlerts(deps.sources, deps.clock()).filter((a) =>
        a.vaId === null ? query.va === undefined : scope === null || scope.has(a.vaId),
      );
      const page = paginate(alerts, alertKey, limit, cursor);
      ctx.body = { items: page.items.map((a) => alertView(deps.state, a)), next: page.next };
    });
  };
}
