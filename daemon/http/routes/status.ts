// GET /api/status: what `outpost status` prints.
import type { Access } from '../../domain/access/roles.ts';
import type { StatusReader } from '../../domain/satellite/status.ts';
import type { AdminRouter } from '../admin-app.ts';

export function statusRoutes(deps: { status: StatusReader; access: Access }) {
  return (router: AdminRouter) => {
    router.get('/api/status', (ctx) => {
      deps.access.require(ctx.state.principal, 'account.read');
      ctx.body = deps.status();
    });
  };
}
