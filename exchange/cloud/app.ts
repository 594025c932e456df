// The reference cloud's HTTP face (SPEC §5 "Network sync"): register and sync take a bundle as
// the body and answer one; /v1/admin/… (with a bearer token) lets tests and demos steer it.
// createCloudApp builds the koa app and never listens; main.ts does.
import { timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import Router from '@koa/router';
import Koa from 'koa';
import type { Context, Next } from 'koa';
import getRawBody from 'raw-body';
import { z } from 'zod';
import { entitlementRecord, RECORD_SCHEMAS } from '../bundle/index.ts';
import type { CloudConfig } from './config.ts';
import { CloudError, errorResponse } from './errors.ts';
import type { CloudIdentity } from './identity.ts';
import type { Cloud } from './service.ts';
import { RECEIVED_FILES } from './store.ts';
import type { CloudStore, ReceivedFile } from './store.ts';
import { receiveToFile } from './upload.ts';

export interface CloudAppDeps {
  cloud: Cloud;
  store: CloudStore;
  config: CloudConfig;
  identity: CloudIdentity;
  /** Where unexpected (5xx) errors go, once each. */
  logError?: (err: unknown, ctx: Context) => void;
}

export function createCloudApp(deps: CloudAppDeps): Koa {
  const { cloud, store, config } = deps;
  const app = new Koa();
  const router = new Router();

  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      const { status, body } = errorResponse(err);
      if (status >= 500) deps.logError?.(err, ctx);
      ctx.status = status;
      ctx.body = body;
    }
  });

  /** Receives the bundle body to a temp file, lets `answer` write the response bundle, streams it back. */
  const exchange = (answer: (ctx: Context, inPath: string, outPath: string) => Promise<unknown>) => async (ctx: Context) => {
    if (!ctx.is('application/zip')) {
      throw new CloudError('UNSUPPORTED_MEDIA_TYPE', 'A bundle is sent as Content-Type: application/zip.');
    }
    const inPath = store.tmpPath('in');
    const outPath = store.tmpPath('out');
    const cleanup = () => Promise.all([rm(inPath, { force: true }), rm(outPath, { force: true })]);
    try {
      await receiveToFile(ctx.req, inPath, config.maxUploadBytes);
      await answer(ctx, inPath, outPath);
    } catch (err) {
      await cleanup();
      if (err instanceof CloudError && err.code === 'PAYLOAD_TOO_LARGE') ctx.set('Connection', 'close');
      throw err;
    }
    ctx.type = 'application/zip';
    ctx.body = createReadStream(outPath).once('close', () => void cleanup());
  };

  router.post('/v1/satellites/register', exchange((_ctx, inPath, outPath) => cloud.register(inPath, outPath)));
  router.post('/v1/satellites/:id/sync', exchange((ctx, inPath, outPath) => cloud.sync(ctx.params.id!, inPath, outPath)));

  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  // The same JWKS as cloud-keys.json, for convenience; satellites should pin the file.
  router.get('/v1/keys', async (ctx) => {
    ctx.type = 'application/jwk-set+json';
    ctx.body = createReadStream(deps.identity.jwksPath);
  });

  if (config.adminToken) mountAdmin(router, cloud, config.adminToken);
  app.use(router.routes());
  app.use(router.allowedMethods());
  app.use((ctx) => {
    throw new CloudError('NOT_FOUND', `There is no ${ctx.method} ${ctx.path}.`);
  });
  return app;
}

const revocationBody = z.strictObject({ deviceId: RECORD_SCHEMAS['revocations.ndjson'].shape.deviceId, reason: z.string().max(1024).default('revoked') });

/** Test and demo controls, behind `Authorization: Bearer <adminToken>`. */
function mountAdmin(router: Router, cloud: Cloud, adminToken: string): void {
  const expected = Buffer.from(`Bearer ${adminToken}`);
  const auth = async (ctx: Context, next: Next) => {
    const given = Buffer.from(ctx.get('authorization'));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new CloudError('UNAUTHORIZED', 'The admin API needs the bearer token from the cloud config.');
    }
    await next();
  };
  const json = async (ctx: Context): Promise<unknown> => {
    if (!ctx.is('application/json')) throw new CloudError('UNSUPPORTED_MEDIA_TYPE', 'The admin API takes Content-Type: application/json.');
    try {
      return JSON.parse(await getRawBody(ctx.req, { limit: 8 * 1024 * 1024, encoding: 'utf8' }));
    } catch (err) {
      if ((err as { type?: string }).type === 'entity.too.large') throw new CloudError('PAYLOAD_TOO_LARGE', 'The body is over 8 MiB.');
      throw new CloudError('INVALID_REQUEST', 'The body is not JSON.');
    }
  };
  const parse = <T>(schema: z.ZodType<T>, value: unknown): T => {
    const r = schema.safeParse(value);
    if (!r.success) {
      const issue = r.error.issues[0]!;
      throw new CloudError('INVALID_REQUEST', `The body is not valid at ${issue.path.join('.') || 'the top'}: ${issue.message}.`);
    }
    return r.data;
  };
  const satellite = (id: string) => {
    const sat = cloud.satellite(id);
    if (!sat) throw new CloudError('NOT_FOUND', `There is no satellite ${id}.`);
    return sat;
  };

  router.get('/v1/admin/satellites', auth, (ctx) => {
    ctx.body = { items: cloud.satellites() };
  });
  router.get('/v1/admin/satellites/:id', auth, (ctx) => {
    ctx.body = satellite(ctx.params.id!);
  });
  router.get('/v1/admin/satellites/:id/received/:file', auth, async (ctx) => {
    const sat = satellite(ctx.params.id!);
    const file = `${ctx.params.file}`;
    if (!(RECEIVED_FILES as readonly string[]).includes(file)) throw new CloudError('NOT_FOUND', `A satellite sends no ${file}.`);
    const records = cloud.received(sat.id, file as ReceivedFile);
    ctx.type = 'application/x-ndjson';
    ctx.body = Readable.from(
      (async function* () {
        for await (const r of records) yield JSON.stringify(r) + '\n';
      })(),
    );
  });
  router.post('/v1/admin/satellites/:id/revocations', auth, async (ctx) => {
    const sat = satellite(ctx.params.id!);
    const body = parse(revocationBody, await json(ctx));
    await cloud.revokeDevice(sat.id, body.deviceId, body.reason);
    ctx.status = 201;
    ctx.body = { satellite: sat.id, ...body };
  });
  router.get('/v1/admin/accounts/:id/lines', auth, (ctx) => {
    ctx.body = { items: cloud.lines(ctx.params.id!) };
  });
  router.put('/v1/admin/accounts/:id/lines', auth, async (ctx) => {
    const lines = parse(z.array(entitlementRecord), await json(ctx));
    await cloud.setLines(ctx.params.id!, lines);
    ctx.body = { items: lines };
  });
}
