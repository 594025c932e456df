// The three koa apps of a satellite, built from its services and never listening: the device
// app (device listener), the admin app (admin listener: sessions) and the socket app (control
// socket: full rights). daemon/main.ts hands their callbacks to the listeners.
import type Koa from 'koa';
import type { Logger } from 'pino';
import { lazyDashboard } from '../../web-ui/build.ts';
import type { Principal } from '../domain/access/roles.ts';
import type { Metrics } from '../metrics.ts';
import type { Services } from '../services.ts';
import { createAdminApp, type AdminApp } from './admin-app.ts';
import { allowedHosts } from './allowed-hosts.ts';
import { createDeviceApp } from './device-app.ts';
import type { Health } from './health.ts';
import { adminRoutes, loginRoute, ssoRoute } from './routes/index.ts';
import { openApiRoutes } from './routes/openapi.ts';
import { uiRoutes } from './routes/ui.ts';
import type { RouteInfo } from './route-list.ts';
import { sessionPrincipal } from './session-auth.ts';

export type DeviceApp = Koa & { routeList: RouteInfo[] };

export interface Apps {
  device: DeviceApp;
  admin: AdminApp;
  socket: AdminApp;
}

export function createApps(s: Services, deps: { log: Logger; metrics: Metrics; health: Health; version: string; nextRun: (job: string) => Date | null; adminUrl: string }): Apps {
  const { log, metrics, health } = deps;
  const { ctx } = s;
  const { config, state } = ctx;
  const device = createDeviceApp({
    ctx,
    log,
    metrics,
    health,
    identity: ctx.identity,
    devices: s.devices,
    ingest: s.ingest,
    verifier: s.verifier,
    poolStatus: s.licensing.poolStatus,
    poolsCounted: s.licensing.whenCounted,
    ...(config.device.policyMode.enabled ? { policy: s.policyMode } : {}),
  });
  const routes = adminRoutes(s, deps.nextRun);
  const openApi = openApiRoutes({ version: deps.version });
  const admin = createAdminApp({
    log,
    metrics,
    health,
    principal: sessionPrincipal({ sessions: s.sessions, apiTokens: s.apiTokens, state, publicOrigin: config.admin.publicOrigin }),
    // The dashboard is built on its first request (esbuild, in memory) and served from memory.
    publicRoutes: [openApi, loginRoute(s), ssoRoute(s), uiRoutes({ dashboard: lazyDashboard() })],
    routes,
    // SPEC §4: only the listener's own addresses, localhost, publicOrigin's host and admin.allowedHosts.
    hosts: allowedHosts({ listenerUrl: deps.adminUrl, publicOrigin: config.admin.publicOrigin, extra: config.admin.allowedHosts }),
  });
  const local: Principal = { kind: 'local' };
  const socket = createAdminApp({ log, metrics, health, principal: async () => local, publicRoutes: [openApi], routes });
  return { device, admin, socket };
}
