// The device listener's app: SPEC §3. Built here, listened on by main.
import Koa from 'koa';
import Router from '@koa/router';
import type { Logger } from 'pino';
import type { CredentialVerifier } from '../domain/devices/credentials.ts';
import type { Devices } from '../domain/devices/registration.ts';
import { assertCanReport } from '../domain/devices/device-state.ts';
import type { Ingest } from '../domain/reports/ingest.ts';
import type { Identity } from '../domain/satellite/identity.ts';
import type { DomainContext } from '../domain/satellite/context.ts';
import type { PolicyMode } from '../domain/devices/policy.ts';
import type { Metrics } from '../metrics.ts';
import { DEVICE_BODY_LIMIT, checkMediaType, parseJson, readText } from './body.ts';
import { logAppErrors } from './app-errors.ts';
import { errorMiddleware } from './errors.ts';
import { healthRoute, type Health } from './health.ts';
import { listRoutes, type RouteInfo } from './route-list.ts';

export interface DeviceAppDeps {
  ctx: DomainContext;
  log: Logger;
  metrics: Metrics;
  health: Health;
  identity: Identity;
  devices: Devices;
  ingest: Ingest;
  verifier: CredentialVerifier;
  poolStatus: (vaId: string, entitlement: string) => 'ok' | 'insufficient';
  /** Settles once pool answers are whole (after an unclean shutdown they are counted in the background). */
  poolsCounted: () => Promise<void>;
  /** Policy mode, when enabled: POST /v1/usage (absent, so 404, when off). */
  policy?: Pick<PolicyMode, 'usage'>;
}

export function createDeviceApp(deps: DeviceAppDeps): Koa & { routeList: RouteInfo[] } {
  const app = new Koa();
  app.proxy = false;
  logAppErrors(app, deps.log);
  const router = new Router();
  healthRoute(router, deps.health);

  /** A device whose latest credential this is and that is registered (403 otherwise). */
  const activeDevice = async (header: string | undefined) => {
    const device = await deps.verifier.authenticate(header);
    assertCanReport(deps.ctx, device);
    return device;
  };

  router.post('/v1/register', async (ctx) => {
    checkMediaType(ctx, ['application/json']);
    const body = parseJson(await readText(ctx, DEVICE_BODY_LIMIT));
    const answer = await deps.devices.register(body);
    ctx.status = answer.status;
    ctx.body = answer.body;
  });

  router.post('/v1/reports', async (ctx) => {
    checkMediaType(ctx, ['application/json']);
    const text = await readText(ctx, DEVICE_BODY_LIMIT);
    const device = await deps.verifier.authenticate(ctx.get('Authorization'));
    const answer = await deps.ingest.accept(device, parseJson(text));
    ctx.status = answer.status;
    ctx.body = answer.body;
  });

  router.get('/v1/acks', async (ctx) => {
    const device = await activeDevice(ctx.get('Authorization'));
    const after = typeof ctx.query.after === 'string' && ctx.query.after !== '' ? ctx.query.after : undefined;
    ctx.body = await deps.ingest.acks(device.id, after);
  });

  router.get('/v1/status', async (ctx) => {
    const device = await activeDevice(ctx.get('Authorization'));
    await deps.poolsCounted();
    ctx.body = deps.devices.status(device, deps.poolStatus);
  });

  router.post('/v1/deregister', async (ctx) => {
    const device = await activeDevice(ctx.get('Authorization'));
    await deps.devices.deregister(device.id, `device:${device.id}`, 'device asked');
    ctx.body = { deviceId: device.id, state: 'deregistered' };
  });

  router.get('/v1/keys', (ctx) => {
    ctx.body = { keys: [deps.identity.publicJwk] };
  });

  if (deps.policy) {
    const policy = deps.policy;
    router.post('/v1/usage', async (ctx) => {
      checkMediaType(ctx, ['application/jose']);
      const answer = await policy.usage(await readText(ctx, DEVICE_BODY_LIMIT));
      ctx.status = answer.status;
      ctx.body = answer.body;
    });
  }

  app.use(errorMiddleware(deps.log, (code) => deps.metrics.refusals.inc({ code })));
  app.use(router.routes());
  return Object.assign(app, { routeList: listRoutes(router) });
}
