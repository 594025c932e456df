// POST /api/login and /api/logout (no session needed: mounted as public routes on the admin
// listener) and GET /api/me (under a session, or the control socket).
import type Router from '@koa/router';
import type { SignIn } from '../../domain/access/sign-in.ts';
import { prefsOf, type Users } from '../../domain/access/users.ts';
import type { NotificationPrefs } from '../../domain/notify/index.ts';
import { OutpostError } from '../../errors.ts';
import type { State } from '../../domain/satellite/state.ts';
import type { UserRecord } from '../../domain/satellite/records.ts';
import type { AdminRouter } from '../admin-app.ts';
import { ADMIN_BODY_LIMIT, readJson } from '../body.ts';
import { SESSION_COOKIE, checkOrigin, setSessionCookie } from '../session-auth.ts';

export interface MeView {
  id: string | null;
  username: string;
  roles: Array<{ role: string; virtualAccount: { id: string; path: string } | null }>;
  mustChangePassword: boolean;
  /** Where the user comes from (SPEC §11): the dashboard offers a password change and API tokens to local users only. */
  source: 'local' | 'ldap' | 'oidc';
  email?: string | null;
  notifications?: NotificationPrefs;
}

export function meView(state: State, u: UserRecord): MeView {
  return {
    id: u.id,
    username: u.username,
    roles: u.roles.map((g) => ({ role: g.role, virtualAccount: g.vaId === null ? null : state.vaRef(g.vaId) })),
    mustChangePassword: u.mustChangePassword,
    source: u.source ?? 'local',
    ...prefsOf(u),
  };
}

export interface LoginDeps {
  state: State;
  signIn: SignIn;
  publicOrigin: string | null;
}

/** Login and logout, on the admin listener only. */
export function loginRoutes(deps: LoginDeps) {
  return (router: Router) => {
    router.post('/api/login', async (ctx) => {
      const presented = ctx.cookies.get(SESSION_COOKIE);
      checkOrigin(ctx, deps.publicOrigin, Boolean(presented));
      const body = await readJson(ctx, ADMIN_BODY_LIMIT);
      const { user, id } = await deps.signIn.login(body, { address: ctx.request.ip, agent: ctx.get('User-Agent') });
      // No fixation: whatever session the client came with ends; the new one has a new id.
      if (presented) await deps.signIn.discard(presented);
      setSessionCookie(ctx, id);
      ctx.body = meView(deps.state, user);
    });

    router.post('/api/logout', async (ctx) => {
      const presented = ctx.cookies.get(SESSION_COOKIE);
      checkOrigin(ctx, deps.publicOrigin, Boolean(presented));
      if (presented) await deps.signIn.logout(presented);
      setSessionCookie(ctx, null);
      ctx.status = 204;
    });
  };
}

/**
 * GET /api/me: who is asking. The control socket answers as `local`, with every right.
 * PATCH /api/me: one's own notification address and settings (SPEC §10).
 */
export function meRoutes(deps: { state: State; users: Users }) {
  return (router: AdminRouter) => {
    router.get('/api/me', (ctx) => {
      const p = ctx.state.principal;
      ctx.body = p.kind === 'local' ? { id: null, username: 'local', roles: [], mustChangePassword: false, source: 'local' } : meView(deps.state, p.user);
    });
    router.patch('/api/me', async (ctx) => {
      const p = ctx.state.principal;
      if (p.kind === 'local') throw new OutpostError('INVALID_REQUEST', 'The control socket is no user; use PATCH /api/users/{id}.');
      const body = await readJson(ctx, ADMIN_BODY_LIMIT);
      await deps.users.updateOwn(p.user.id, body, p.user.username);
      ctx.body = meView(deps.state, deps.state.users.get(p.user.id) ?? p.user);
    });
  };
}
