// Single sign-on (SPEC §11), public on the admin listener: GET /api/sso says whether it is on,
// /api/sso/login sends the browser to the provider with the attempt in a single-use cookie
// (HttpOnly, SameSite=Lax: the provider's redirect back is a cross-site navigation), and
// /api/sso/callback checks the answer and starts a session.
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { SignIn } from '../../domain/access/sign-in.ts';
import { SSO_ATTEMPT_MS, SSO_COOKIE } from '../../directory/oidc.ts';
import { OutpostError } from '../../errors.ts';
import { setSessionCookie, SESSION_COOKIE } from '../session-auth.ts';

const setAttemptCookie = (ctx: Context, value: string | null) =>
  ctx.cookies.set(SSO_COOKIE, value ?? '', {
    httpOnly: true,
    sameSite: 'lax',
    path: '/api/sso',
    secure: ctx.secure,
    overwrite: true,
    ...(value === null ? { maxAge: 0, expires: new Date(0) } : { maxAge: SSO_ATTEMPT_MS }),
  });

export function ssoRoutes(deps: { signIn: SignIn; enabled: boolean; publicOrigin: string | null }) {
  return (router: Router) => {
    router.get('/api/sso', (ctx) => {
      ctx.body = { enabled: deps.enabled };
    });

    router.get('/api/sso/login', async (ctx) => {
      const { url, cookie } = await deps.signIn.ssoBegin();
      setAttemptCookie(ctx, cookie);
      ctx.set('Cache-Control', 'no-store');
      ctx.redirect(url);
    });

    router.get('/api/sso/callback', async (ctx) => {
      if (!deps.enabled || deps.publicOrigin === null) throw new OutpostError('NOT_FOUND', 'Single sign-on is not configured.');
      const cookie = ctx.cookies.get(SSO_COOKIE);
      // Single use: whatever happens next, this attempt is over.
      setAttemptCookie(ctx, null);
      ctx.set('Cache-Control', 'no-store');
      // The URL the provider redirected to, as registered (the public origin), with its query.
      const callback = new URL(`/api/sso/callback${ctx.querystring ? `?${ctx.querystring}` : ''}`, deps.publicOrigin);
      const { id } = await deps.signIn.ssoFinish(callback, cookie, { address: ctx.request.ip, agent: ctx.get('User-Agent') });
      // No fixation: a session the browser came with ends.
      const presented = ctx.cookies.get(SESSION_COOKIE);
      if (presented) await deps.signIn.discard(presented);
      setSessionCookie(ctx, id);
      ctx.redirect('/');
    });
  };
}
