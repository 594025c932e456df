// /api/tags: the tag keys VAs may use; an sa-admin defines and deletes them.
import type { Access } from '../../domain/access/roles.ts';
import { actorOf } from '../../domain/access/roles.ts';
import type { Tags } from '../../domain/accounts/tags.ts';
import type { AdminRouter } from '../admin-app.ts';
import { ADMIN_BODY_LIMIT, readJson } from '../body.ts';
import { pageParams, paginate } from '../pagination.ts';

export function tagRoutes(deps: { tags: Tags; access: Access }) {
  return (router: AdminRouter) => {
    router.get('/api/tags', (ctx) => {
      deps.access.requireSome(ctx.state.principal, 'va.read');
      const { limit, cursor } = pageParams(ctx);
      ctx.body = paginate(deps.tags.list(), (t) => t.key, limit, cursor);
    });

    router.post('/api/tags', async (ctx) => {
      const p = ctx.state.principal;
      deps.access.require(p, 'tags.write');
      const body = await readJson(ctx, ADMIN_BODY_LIMIT);
      ctx.status = 201;
      ctx.body = await deps.tags.create(body, actorOf(p));
    });

    router.delete('/api/tags/:key', async (ctx) => {
      const p = ctx.state.principal;
      deps.access.require(p, 'tags.write');
      await deps.tags.remove(ctx.params.key!, actorOf(p));
      ctx.status = 204;
    });
  };
}
