// /api/users: list, add, edit, delete, and set a password. Who may manage whom is the access
// table's: account-scope admins manage everyone; a VA admin, users whose every role is a VA role
// within its VAs. One's own password needs the current one; another's needs the rights over them.
import type { Access } from '../../domain/access/roles.ts';
import { actorOf } from '../../domain/access/roles.ts';
import type { SignIn } from '../../domain/access/sign-in.ts';
import type { StoredSessions } from '../../domain/access/sessions.ts';
import type { Users } from '../../domain/access/users.ts';
import { passwordBody } from '../../domain/access/users.ts';
import { parseBody } from '../../domain/satellite/validate.ts';
import { OutpostError } from '../../errors.ts';
import type { AdminRouter } from '../admin-app.ts';
import { ADMIN_BODY_LIMIT, readJson } from '../body.ts';
import { pageParams, paginate } from '../pagination.ts';

export function userRoutes(deps: { users: Users; signIn: SignIn; sessions: StoredSessions; access: Access }) {
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
        await deps.signIn.proveOwnPassword(target, input.currentPassword, { address: ctx.request.ip, agent: ctx.get('User-Agent') });
        if (input.newPassword === input.currentPassword) {
          throw new OutpostError('INVALID_REQUEST', 'Field "newPassword": must differ from the current password.');
        }
      }
      ctx.body = await users.setPassword(target.id, input.newPassword, actorOf(p), { self, keepSession: ctx.state.sessionHash });
    });

    // A user's sessions (SPEC §11): one's own, or those of a user one may read; "sign out
    // everywhere" ends them all — one's own, or a user one may manage. Not for API tokens.
    router.get('/api/users/:id/sessions', (ctx) => {
      const p = ctx.state.principal;
      if (p.kind === 'token') throw new OutpostError('FORBIDDEN', 'An API token cannot see sessions.');
      const target = users.get(ctx.params.id!);
      if (!(p.kind === 'user' && p.user.id === target.id)) access.requireUser(p, 'users.read', target.roles);
      const items = deps.sessions.list(target.id, ctx.state.sessionHash);
      ctx.body = { items, next: null };
    });

    router.delete('/api/users/:id/sessions', async (ctx) => {
      const p = ctx.state.principal;
      if (p.kind === 'token') throw new OutpostError('FORBIDDEN', 'An API token cannot end sessions.');
      const target = users.get(ctx.params.id!);
      if (!(p.kind === 'user' && p.user.id === target.id)) access.requireUser(p, 'users.write', target.roles);
      await deps.signIn.endAll(target, actorOf(p));
      ctx.status = 204;
    });
  };
}
