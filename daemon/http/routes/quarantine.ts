// /api/quarantine: reports an export set aside because the bundle schema refuses them (SPEC §7
// `report-quarantined`). GET lists them (oldest first, paginated); DELETE /:reportId removes one
// for good, with an event. Reading needs `sync.read`, removing `sync.run`, as exporting does.
import { z } from 'zod';
import type { Access } from '../../domain/access/roles.ts';
import { actorOf } from '../../domain/access/roles.ts';
import type { Exchange } from '../../exchange/exchange.ts';
import type { AdminRouter } from '../admin-app.ts';
import { pageParams, paginate } from '../pagination.ts';
import { paging, parseQuery } from '../query.ts';

const listQuery = z.strictObject({ ...paging });

export function quarantineRoutes(deps: { exchange: Pick<Exchange, 'quarantine'>; access: Access }) {
  return (router: AdminRouter) => {
    router.get('/api/quarantine', (ctx) => {
      deps.access.require(ctx.state.principal, 'sync.read');
      parseQuery(ctx, listQuery);
      const { limit, cursor } = pageParams(ctx);
      const page = paginate(deps.exchange.quarantine.list(), (q) => `${q.quarantinedAt}\u0000${q.reportId}`, limit, cursor);
      ctx.body = { items: page.items, next: page.next };
    });

    router.delete('/api/quarantine/:reportId', async (ctx) => {
      deps.access.require(ctx.state.principal, 'sync.run');
      await deps.exchange.quarantine.remove(ctx.params.reportId!, actorOf(ctx.state.principal));
      ctx.status = 204;
    });
  };
}
