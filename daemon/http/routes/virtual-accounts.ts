// /api/virtual-accounts: the VA tree. A VA is created with rights on its parent (the top level
// is the account's), and renamed or deleted with rights on its parent too: a VA admin shapes
// what lies below its VAs, never its VAs themselves.
import type { Access, Principal } from '../../domain/access/roles.ts';
import { actorOf } from '../../domain/access/roles.ts';
import type { State } from '../../domain/satellite/state.ts';
import type { VirtualAccounts } from '../../domain/accounts/virtual-accounts.ts';
import type { AdminRouter } from '../admin-app.ts';
import { ADMIN_BODY_LIMIT, readJson } from '../body.ts';
import { pageParams, paginate } from '../pagination.ts';

export function virtualAccountRoutes(deps: { vas: VirtualAccounts; access: Access; state: State }) {
  /** The VA an `:id` names (id or path), 404 when it is not there or not the caller's to see. */
  const target = (p: Principal, idOrPath: string) => {
    const va = deps.state.resolveVa(idOrPath);
    deps.access.require(p, 'va.read', va.id);
    return va;
  };

  return (router: AdminRouter) => {
    router.get('/api/virtual-accounts', (ctx) => {
      const p = ctx.state.principal;
      deps.access.requireSome(p, 'va.read');
      const { limit, cursor } = pageParams(ctx);
      ctx.body = paginate(deps.vas.list(deps.access.scope(p, 'va.read')), (v) => v.path, limit, cursor);
    });

    router.get('/api/virtual-accounts/:id', (ctx) => {
      ctx.body = deps.vas.view(target(ctx.state.principal, ctx.params.id!));
    });

    router.post('/api/virtual-accounts', async (ctx) => {
      const p = ctx.state.principal;
      deps.access.requireSome(p, 'va.create');
      const body = await readJson(ctx, ADMIN_BODY_LIMIT);
      ctx.status = 201;
      ctx.body = await deps.vas.create(body, actorOf(p), (parentId) => deps.access.require(p, 'va.create', parentId));
    });

    router.patch('/api/virtual-accounts/:id', async (ctx) => {
      const p = ctx.state.principal;
      const va = target(p, ctx.params.id!);
      deps.access.require(p, 'va.write', va.parentId, va.id);
      const body = await readJson(ctx, ADMIN_BODY_LIMIT);
      ctx.body = await deps.vas.update(va.id, body, actorOf(p));
    });

    router.delete('/api/virtual-accounts/:id', async (ctx) => {
      const p = ctx.state.principal;
      const va = target(p, ctx.params.id!);
      deps.access.require(p, 'va.delete', va.parentId, va.id);
      await deps.vas.remove(va.id, actorOf(p));
      ctx.status = 204;
    });
  };
}
