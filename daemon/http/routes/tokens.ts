// /api/tokens: create (the secret shown once), list, revoke.
import type { Access } from '../../domain/access/roles.ts';
import { actorOf } from '../../domain/access/roles.ts';
import type { Tokens } from '../../domain/devices/tokens.ts';
import type { AdminRouter } from '../admin-app.ts';
import { ADMIN_BODY_LIMIT, readJson } from '../body.ts';
import { pageParams, paginate } from '../pagination.ts';

export function tokenRoutes(deps: { tokens: Tokens; access: Access }) {
  return (router: AdminRouter) => {
    router.get('/api/tokens', (ctx) => {
      const p = ctx.state.principal;
      deps.access.requireSome(p, 'license.read');
      const { limit, cursor } = pageParams(ctx);
      const scope = deps.access.scope(p, 'license.read');
      const items = deps.tokens.list((t) => scope === null || scope.has(t.vaId)).sort((a, b) => (a.id < b.id ? -1 : 1));
      ctx.body = paginate(items, (t) => t.id, limit, cursor);
    });

    router.post('/api/tokens', async (ctx) => {
      const p = ctx.state.principal;
      deps.access.requireSome(p, 'license.write');
      const body = await readJson(ctx, ADMIN_BODY_LIMIT);
      ctx.status = 201;
      ctx.body = await deps.tokens.create(body, actorOf(p), (vaId) => deps.access.require(p, 'license.write', vaId));
    });

    router.delete('/api/tokens/:id', async (ctx) => {
      const p = ctx.state.principal;
      const token = deps.tokens.get(ctx.params.id!);
      deps.access.require(p, 'license.write', token.vaId);
      ctx.body = await deps.tokens.revoke(token.id, actorOf(p));
    });
  };
}
