// /api/sync (status, run now), /api/sync/export (the next report, as a zip) and
// /api/sync/import (a cloud bundle as the body) — SPEC §4 and §5.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Context } from 'koa';
import type { Access } from '../../domain/access/roles.ts';
import { actorOf } from '../../domain/access/roles.ts';
import type { BundleFile, Exchange } from '../../exchange/exchange.ts';
import type { SyncJob } from '../../jobs/sync.ts';
import type { AdminRouter } from '../admin-app.ts';
import { checkMediaType } from '../body.ts';
import { historyKey } from '../../domain/exchange/index.ts';
import { pageParams, paginate } from '../pagination.ts';
import { paging, parseQuery } from '../query.ts';
import { z } from 'zod';

const historyQuery = z.strictObject({ ...paging });

export interface SyncRouteDeps {
  exchange: Exchange;
  syncJob: Pick<SyncJob, 'runNow' | 'nextRetry'>;
  /** The scheduled sync's next run. */
  nextScheduled: () => Date | null;
  access: Access;
}

/** GET /api/sync's answer: the exchange's status with the next run, a retry or the schedule's. */
export function syncStatusOf(deps: Pick<SyncRouteDeps, 'exchange' | 'syncJob' | 'nextScheduled'>): ReturnType<Exchange['status']> {
  const times = [deps.syncJob.nextRetry(), deps.nextScheduled()].filter((d): d is Date => d !== null);
  const next = times.length ? new Date(Math.min(...times.map((d) => d.getTime()))) : null;
  return deps.exchange.status(next);
}

export function syncRoutes(deps: SyncRouteDeps) {
  return (router: AdminRouter) => {
    router.get('/api/sync', (ctx) => {
      deps.access.require(ctx.state.principal, 'sync.read');
      ctx.body = syncStatusOf(deps);
    });

    /** The recent exchanges, network and air-gapped, newest first (at most the last 100). */
    router.get('/api/sync/history', (ctx) => {
      deps.access.require(ctx.state.principal, 'sync.read');
      parseQuery(ctx, historyQuery);
      const { limit, cursor } = pageParams(ctx);
      ctx.body = paginate([...deps.exchange.history()], historyKey, limit, cursor);
    });

    router.post('/api/sync', async (ctx) => {
      deps.access.require(ctx.state.principal, 'sync.run');
      ctx.body = await deps.syncJob.runNow(actorOf(ctx.state.principal));
    });

    router.post('/api/sync/export', async (ctx) => {
      deps.access.require(ctx.state.principal, 'sync.run');
      const result = await deps.exchange.exportReport(actorOf(ctx.state.principal));
      ctx.set('X-Outpost-Sequence', String(result.sequence));
      ctx.set('X-Outpost-Records', String(result.records));
      ctx.set('X-Outpost-More', String(result.more));
      await sendBundle(ctx, result.file, `outpost-report-${result.sequence}.zip`);
    });

    router.post('/api/sync/import', async (ctx) => {
      deps.access.require(ctx.state.principal, 'sync.run');
      checkMediaType(ctx, ['application/zip']);
      const declared = ctx.get('Content-Length');
      try {
        ctx.body = await deps.exchange.importStream(ctx.req, declared ? Number(declared) : null, actorOf(ctx.state.principal));
      } catch (err) {
        // The rest of an upload refused early is not read: close rather than drain it.
        if (!ctx.req.complete) ctx.set('Connection', 'close');
        throw err;
      }
    });
  };
}

/** Streams a temp bundle file as the answer and removes it once sent (or abandoned). */
export async function sendBundle(ctx: Context, file: BundleFile, name: string): Promise<void> {
  try {
    const { size } = await stat(file.path);
    ctx.type = 'application/zip';
    ctx.length = size;
    ctx.attachment(name);
    ctx.body = createReadStream(file.path).once('close', () => void file.discard());
  } catch (err) {
    await file.discard();
    throw err;
  }
}
