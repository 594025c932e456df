// /api/users: list, add, edit, delete, and set a password. Who may manage whom is the access
// table's: account-scope admins manage everyone; a VA admin, users whose every role is a VA role
// within its VAs. One's own password needs the current one; another's needs the rights over them.
import type { Access } from '../../domain/access/roles.ts';
import { actorOf } from '../../domain/access/roles.ts';
import type { Auth } from '../../domain/access/auth.ts';
import type { Users } from '../../domain/access/users.ts';
import { passwordBody } from '../../domain/access/users.ts';
import { parseBody } from '../../domain/satellite/validate.ts';
import { OutpostError } from '../../errors.ts';
import type { AdminRouter } from '../admin-app.ts';
import { ADMIN_BODY_LIMIT, readJson } from '../body.ts';
import { pageParams, paginate } from '../pagination.ts';

export function userRoutes(deps: { users: Users; auth: Auth; access: Access }) {
  const { users, access } = deps;

  return (router: AdminRouter) => {
    router.get('/api/users', (ctx) => {
      const p = ctx.state.principal;
      access.requireSome(p, 'users.read');
      const { limit, cursor } = pageParams(ctx);
      const items = users.list((u) => access.seesUser(p, u.roles));
      ctx.body = paginate(items, (u) => u.username.toLowerCase(), limit, cursor);
    });

    router.post('/api/users', async (ctx) => {
      const p = ctx.state.principal;
      access.requireSome(p, 'users.write');
      const body = await readJson(ctx, ADMIN_BODY_LIMIT);
      ctx.status = 201;
      ctx.body = await users.create(body, actorOf(p), (roles) => access.requireGrantable(p, roles));
    });

    router.patch('/api/users/:id', async (ctx) => {
      const p = ctx.state.principal;
      const target = users.get(ctx.params.id!);
      access.requireUser(p, 'users.write', target.roles);
      const body = await readJson(ctx, ADMIN_BODY_LIMIT);
      ctx.body = await users.update(target.id, body, actorOf(p), (roles) => access.requireGrantable(p, roles));
    });

    router.delete('/api/users/:id', async (ctx) => {
      const p = ctx.state.principal;
      const target = users.get(ctx.params.id!);
      access.requireUser(p, 'users.write', target.roles);
      await users.remove(target.id, actorOf(p));
      ctx.status = 204;
    });

    router.post('/api/users/:id/password', async (ctx) => {
      const p = ctx.state.principal;
      const target = users.get(ctx.params.id!);
      const self = p.kind === 'user' && p.user.id === target.id;
      // Rights over another user are checked before the body is even read.
      if (!self) access.requireUser(p, 'users.write', target.roles);
      const input = parseBody(passwordBody, await readJson(ctx, ADMIN_BODY_LIMIT));
      if (self) {
        await deps.auth.proveOwnPassword(target, input.currentPassword, ctx.request.ip);
        if (input.newPassword === input.currentPassword) {
          throw new OutpostError('INVALID_REQUEST', 'Field "newPassword": must differ from the current password.');
        }
      }
      ctx.body = await users.setPassword(target.id, input.newPassword, actorOf(p), { self, keepSession: ctx.state.sessionHash });
    });
  };
}
