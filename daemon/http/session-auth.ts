// Who is asking on the admin listener: the user of a live session cookie. Also the two guards
// every session request passes: a state-changing request must come from the dashboard's own
// origin, and a user who must change their password may do nothing else first.
import type { Context } from 'koa';
import type { Principal } from '../domain/access/roles.ts';
import type { ApiTokens } from '../domain/access/api-tokens.ts';
import type { StoredSessions } from '../domain/access/sessions.ts';
import type { State } from '../domain/satellite/state.ts';
import { OutpostError } from '../errors.ts';

export const SESSION_COOKIE = 'outpost_session';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The origins a state-changing request may come from: its own, and `admin.publicOrigin`. */
export function originAllowed(ctx: Context, publicOrigin: string | null): boolean {
  const origin = ctx.get('Origin');
  if (!origin) return false;
  const own = `${ctx.protocol}://${ctx.host}`.toLowerCase();
  const given = origin.toLowerCase();
  return given === own || (publicOrigin !== null && given === new URL(publicOrigin).origin.toLowerCase());
}

/**
 * Refuses a state-changing request from another origin (403 ORIGIN_MISMATCH). `required`: the
 * request carries a session cookie, so it must name its origin; without one, a given Origin must
 * still match.
 */
export function checkOrigin(ctx: Context, publicOrigin: string | null, required: boolean): void {
  if (SAFE_METHODS.has(ctx.method)) return;
  if (!required && !ctx.get('Origin')) return;
  if (!originAllowed(ctx, publicOrigin)) {
    throw new OutpostError('ORIGIN_MISMATCH', 'The request did not come from the dashboard\'s origin.');
  }
}

/** Sets the session cookie: HttpOnly, SameSite=Strict, Path=/, and Secure under TLS. */
export function setSessionCookie(ctx: Context, id: string | null): void {
  ctx.cookies.set(SESSION_COOKIE, id ?? '', {
    httpOnly: true,
    sameSite: 'strict',
    path: '/',
    secure: ctx.secure,
    overwrite: true,
    ...(id === null ? { maxAge: 0, expires: new Date(0) } : {}),
  });
}

export interface SessionAuthDeps {
  sessions: StoredSessions;
  apiTokens: ApiTokens;
  state: State;
  publicOrigin: string | null;
}

/**
 * The admin listener's `principal`. `Authorization: Bearer oat_…` is an API token: cookies on that
 * request are ignored and no Origin check applies (a script is no browser that a page can steer).
 * Otherwise a session cookie: 401 without a live session, then the origin and password guards.
 */
export function sessionPrincipal(deps: SessionAuthDeps) {
  return async (ctx: Context): Promise<Principal> => {
    const authorization = ctx.get('Authorization');
    if (authorization) {
      const m = /^Bearer +(\S{1,512})$/i.exec(authorization);
      return deps.apiTokens.authenticate(m ? m[1]! : '', ctx.request.ip);
    }
    const id = ctx.cookies.get(SESSION_COOKIE);
    const session = id ? deps.sessions.find(id) : null;
    const user = session ? deps.state.users.get(session.userId) : undefined;
    if (!session || !user) throw new OutpostError('UNAUTHENTICATED', 'Log in first.');
    checkOrigin(ctx, deps.publicOrigin, true);
    if (user.mustChangePassword && !mayWhileMustChange(ctx, user.id)) {
      throw new OutpostError('PASSWORD_CHANGE_REQUIRED', 'Change your password first (POST /api/users/{id}/password).');
    }
    ctx.state.sessionHash = session.hash;
    return { kind: 'user', user };
  };
}

/** While a user must change their password: who they are, and the change itself (logout needs no session). */
function mayWhileMustChange(ctx: Context, userId: string): boolean {
  if (ctx.method === 'GET' && ctx.path === '/api/me') return true;
  return ctx.method === 'POST' && ctx.path === `/api/users/${encodeURIComponent(userId)}/password`;
}
