// /api/account: the Smart Account's name, domain and type, and its registration state.
import type { Access } from '../../domain/access/roles.ts';
import { actorOf } from '../../domain/access/roles.ts';
import type { Account } from '../../domain/accounts/account.ts';
import type { AdminRouter } from '../admin-app.ts';
import { ADMIN_BODY_LIMIT, readJson } from '../body.ts';

export function accountRoutes(deps: { account: Account; access: Access }) {
  return (router: AdminRouter) => {
    router.get('/api/account', (ctx) => {
      deps.access.require(ctx.state.principal, 'account.read');
      ctx.body = deps.account.view();
    });

    router.patch('/api/account', async (ctx) => {
      const p = ctx.state.principal;
      deps.access.require(p, 'account.write');
      const body = await readJson(ctx, ADMIN_BODY_LIMIT);
      ctx.body = await deps.account.update(body, actorOf(p), () => deps.access.require(p, 'account.type'));
    });
  };
}
