// /api/api-tokens (SPEC §11): create (the secret shown once), list, revoke. A user sees and revokes
// their own; an sa-admin, everyone's; the control socket makes tokens for a named user
// (`?user=USERNAME`, the CLI's `api-token create --user`), whose rights bound them. A token can do
// none of this: tokens never make tokens.
import type { ApiTokens } from '../../domain/access/api-tokens.ts';
import type { Principal } from '../../domain/access/roles.ts';
import { actorOf } from '../../domain/access/roles.ts';
import type { State } from '../../domain/satellite/state.ts';
import type { ApiTokenRecord } from '../../domain/satellite/records.ts';
import { OutpostError } from '../../errors.ts';
import type { AdminRouter } from '../admin-app.ts';
import { ADMIN_BODY_LIMIT, readJson } from '../body.ts';
import { pageParams, paginate } from '../pagination.ts';

const isSaAdmin = (p: Principal) => p.kind === 'user' && p.user.roles.some((g) => g.role === 'sa-admin' && g.vaId === null);

export function apiTokenRoutes(deps: { apiTokens: ApiTokens; state: State }) {
  const { apiTokens, state } = deps;
  const noTokens = (p: Principal) => {
    if (p.kind === 'token') throw new OutpostError('FORBIDDEN', 'An API token cannot list, make or revoke API tokens.');
  };
  /** Whose tokens `p` may see and revoke. */
  const mine = (p: Principal) => (t: ApiTokenRecord) => p.kind === 'local' || isSaAdmin(p) || (p.kind === 'user' && t.userId === p.user.id);

  return (router: AdminRouter) => {
    router.get('/api/api-tokens', (ctx) => {
      const p = ctx.state.principal;
      noTokens(p);
      const { limit, cursor } = pageParams(ctx);
      const items = apiTokens.list(mine(p)).sort((a, b) => (a.id < b.id ? -1 : 1));
      ctx.body = paginate(items, (t) => t.id, limit, cursor);
    });

    router.post('/api/api-tokens', async (ctx) => {
      const p = ctx.state.principal;
      noTokens(p);
      let creator;
      if (p.kind === 'local') {
        const name = typeof ctx.query.user === 'string' ? ctx.query.user : '';
        creator = [...state.users.values()].find((u) => u.username.toLowerCase() === name.toLowerCase());
        if (!creator) throw new OutpostError(name ? 'NOT_FOUND' : 'INVALID_REQUEST', name ? `No user ${JSON.stringify(name)}.` : 'Parameter "user" is required on the control socket: the token acts for that user.');
      } else {
        if (ctx.query.user !== undefined) throw new OutpostError('INVALID_REQUEST', 'Unknown parameter "user": a token is made for the caller.');
        creator = p.user;
      }
      const body = await readJson(ctx, ADMIN_BODY_LIMIT);
      ctx.status = 201;
      ctx.body = await apiTokens.create(body, creator, actorOf(p));
    });

    router.delete('/api/api-tokens/:id', async (ctx) => {
      const p = ctx.state.principal;
      noTokens(p);
      const t = apiTokens.get(ctx.params.id!);
      if (!mine(p)(t)) throw new OutpostError('NOT_FOUND', `No API token ${JSON.stringify(t.id)}.`);
      await apiTokens.revoke(t.id, actorOf(p));
      ctx.status = 204;
    });
  };
}
