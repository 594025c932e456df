// /api/collector (SPEC §9): targets (managing them takes the rights that deregistering a device in
// their VA takes; reading them, the rights to see that VA's devices), polls on demand, and
// Cisco's own files: the RUM usage export and the acknowledgement import.
import getRawBody from 'raw-body';
import { z } from 'zod';
import type { Access } from '../../domain/access/roles.ts';
import { actorOf } from '../../domain/access/roles.ts';
import { listScope } from '../../domain/access/va-scope.ts';
import type { State } from '../../domain/satellite/state.ts';
import { parseBody } from '../../domain/satellite/validate.ts';
import type { Collector } from '../../collector/service.ts';
import { OutpostError } from '../../errors.ts';
import type { AdminRouter } from '../admin-app.ts';
import { ADMIN_BODY_LIMIT, readJson } from '../body.ts';
import { paginate, pageParams } from '../pagination.ts';
import { flag, paging, parseQuery } from '../query.ts';

const listQuery = z.strictObject({ va: z.string().min(1).max(1024).optional(), nested: flag, ...paging });
const pollBody = z.strictObject({ targets: z.array(z.string().min(1).max(64)).min(1).max(100_000).optional() });
const importQuery = z.strictObject({ export: z.string().regex(/^[1-9][0-9]{0,15}$/, 'expected an export number').optional() });

export function collectorRoutes(deps: { collector: Collector; access: Access; state: State }) {
  const { collector, access, state } = deps;
  return (router: AdminRouter) => {
    router.get('/api/collector/targets', (ctx) => {
      const p = ctx.state.principal;
      const query = parseQuery(ctx, listQuery);
      const { limit, cursor } = pageParams(ctx);
      const vaIds = listScope(state, access, p, 'license.read', query.va, query.nested);
      ctx.body = paginate(collector.list(vaIds), (t) => t.id, limit, cursor);
    });

    router.get('/api/collector/targets/:id', (ctx) => {
      const t = collector.get(ctx.params.id!);
      access.require(ctx.state.principal, 'license.read', t.vaId);
      ctx.body = collector.view(t);
    });

    router.post('/api/collector/targets', async (ctx) => {
      const p = ctx.state.principal;
      access.requireSome(p, 'license.write');
      const body = await readJson(ctx, ADMIN_BODY_LIMIT);
      ctx.status = 201;
      ctx.body = await collector.create(body, actorOf(p), (vaId) => access.require(p, 'license.write', vaId));
    });

    router.patch('/api/collector/targets/:id', async (ctx) => {
      const p = ctx.state.principal;
      const t = collector.get(ctx.params.id!);
      access.require(p, 'license.write', t.vaId);
      ctx.body = await collector.patch(t.id, await readJson(ctx, ADMIN_BODY_LIMIT), actorOf(p), (vaId) => access.require(p, 'license.write', vaId));
    });

    router.delete('/api/collector/targets/:id', async (ctx) => {
      const p = ctx.state.principal;
      const t = collector.get(ctx.params.id!);
      access.require(p, 'license.write', t.vaId);
      await collector.remove(t.id, actorOf(p));
      ctx.status = 204;
    });

    router.post('/api/collector/poll', async (ctx) => {
      const p = ctx.state.principal;
      const input = parseBody(pollBody, await readJson(ctx, ADMIN_BODY_LIMIT));
      let ids: string[];
      if (input.targets) {
        // Each named target as its own object: one outside the caller's VAs is 404, as if it did not exist.
        ids = [...new Set(input.targets)];
        for (const id of ids) access.require(p, 'license.write', collector.get(id).vaId);
      } else {
        // {} means every target the caller may manage.
        access.requireSome(p, 'license.write');
        const scope = access.scope(p, 'license.write');
        ids = collector.list(scope).map((t) => t.id);
      }
      ctx.status = 202;
      ctx.body = await collector.poll(ids, actorOf(p));
    });

    router.post('/api/collector/rum/export', async (ctx) => {
      const p = ctx.state.principal;
      access.require(p, 'sync.run');
      const r = await collector.exportRum(actorOf(p));
      ctx.set('X-Outpost-Rum-Export', String(r.export));
      ctx.set('X-Outpost-Records', String(r.reports));
      ctx.set('Content-Disposition', `attachment; filename="outpost-rum-${r.export}.xml"`);
      ctx.type = 'application/xml';
      ctx.body = r.xml;
    });

    router.post('/api/collector/rum/import-ack', async (ctx) => {
      const p = ctx.state.principal;
      access.require(p, 'sync.run');
      const query = parseQuery(ctx, importQuery);
      let bytes: Buffer;
      try {
        bytes = await getRawBody(ctx.req, { limit: collector.maxAnswerBytes });
      } catch (e) {
        if ((e as { type?: string }).type === 'entity.too.large') throw new OutpostError('PAYLOAD_TOO_LARGE', 'The file is larger than collector.maxAnswerBytes.');
        throw e;
      }
      ctx.body = await collector.importAck(bytes, query.export ? Number(query.export) : null, actorOf(p));
    });
  };
}
