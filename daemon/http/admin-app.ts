// The admin app: the dashboard and the admin API (SPEC §4). The same app serves the admin
// listener (sessions) and the control socket (local, full rights): only `principal` differs.
import Koa, { type Context } from 'koa';
import Router from '@koa/router';
import type { Logger } from 'pino';
import type { Principal } from '../domain/access/roles.ts';
import type { Metrics } from '../metrics.ts';
import { hostCheck } from './allowed-hosts.ts';
import { logAppErrors } from './app-errors.ts';
import { errorMiddleware } from './errors.ts';
import { healthRoute, type Health } from './health.ts';
import { listRoutes, type RouteInfo } from './route-list.ts';

export interface AdminState {
  principal: Principal;
  /** The SHA-256 of the caller's session id, when it came with one. */
  sessionHash?: string;
}

export type AdminRouter = Router<AdminState>;

export interface AdminAppDeps {
  log: Logger;
  metrics: Metrics;
  health: Health;
  /** Who is asking; throws 401 when nobody is. */
  principal: (ctx: Context) => Promise<Principal>;
  /** Routes that need no session (login, the API document, static files). */
  publicRoutes?: Array<(router: Router) => void>;
  /** The API routes, mounted under a session. */
  routes: Array<(router: AdminRouter) => void>;
  /** The Host names served (SPEC §4); absent for the control socket, which is exempt. */
  hosts?: ReadonlySet<string>;
}

/** The app, and the routes it serves (for the API document's and the access matrix's tests). */
export type AdminApp = Koa & { routeList: RouteInfo[] };

export function createAdminApp(deps: AdminAppDeps): AdminApp {
  const app = new Koa();
  app.proxy = false;
  logAppErrors(app, deps.log);
  const open = new Router();
  healthRoute(open, deps.health);
  open.get('/metrics', async (ctx) => {
    ctx.type = deps.metrics.registry.contentType;
    ctx.body = await deps.metrics.registry.metrics();
  });
  for (const mount of deps.publicRoutes ?? []) mount(open);

  const api = new Router<AdminState>();
  api.use(async (ctx, next) => {
    ctx.state.principal = await deps.principal(ctx);
    await next();
  });
  for (const mount of deps.routes) mount(api);

  if (deps.hosts) app.use(hostCheck(deps.hosts, () => deps.metrics.refusals.inc({ code: 'HOST_NOT_ALLOWED' })));
  app.use(errorMiddleware(deps.log, (code) => deps.metrics.refusals.inc({ code })));
  app.use(async (ctx, next) => {
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Cache-Control', 'no-store');
    await next();
  });
  app.use(open.routes());
  app.use(async (ctx, next) => {
    if (ctx.path.startsWith('/api/')) return api.routes()(ctx as never, next);
    return next();
  });
  return Object.assign(app, { routeList: listRoutes(open, api) });
}
