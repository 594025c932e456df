// /api/devices: the device list (filters, sorts, cursor paging), deregistration,
// moving a device to another VA and reinstating one the cloud revoked.
import { z } from 'zod';
import type { Access } from '../../domain/access/roles.ts';
import { actorOf } from '../../domain/access/roles.ts';
import type { DeviceAdmin, DeviceSortField } from '../../domain/devices/device-admin.ts';
import type { Devices } from '../../domain/devices/registration.ts';
import type { State } from '../../domain/satellite/state.ts';
import { parseBody } from '../../domain/satellite/validate.ts';
import { listScope } from '../../domain/access/va-scope.ts';
import type { AdminRouter } from '../admin-app.ts';
import { ADMIN_BODY_LIMIT, readJson } from '../body.ts';
import { pageParams } from '../pagination.ts';
import { flag, paging, parseQuery } from '../query.ts';

const devicesQuery = z.strictObject({
  va: z.string().min(1).max(1024).optional(),
  nested: flag,
  q: z
    .string()
    .min(1)
    .max(256)
    .regex(/^[^\u0000-\u001f\u007f]*$/, 'must not contain control characters')
    .optional(),
  state: z.enum(['registered', 'deregistered']).optional(),
  via: z.enum(['token', 'policy', 'collector']).optional(),
  /** A field, descending with a leading `-` (`-lastReportAt`) or with `order=desc`. */
  sort: z.enum(['id', 'hostname', 'registeredAt', 'lastReportAt', '-id', '-hostname', '-registeredAt', '-lastReportAt']).default('id'),
  order: z.enum(['asc', 'desc']).optional(),
  ...paging,
});

const moveBody = z.strictObject({ virtualAccount: z.string().min(1).max(1024) });

export function deviceRoutes(deps: { devices: Devices; deviceAdmin: DeviceAdmin; access: Access; state: State }) {
  const { devices, deviceAdmin, access, state } = deps;
  return (router: AdminRouter) => {
    router.get('/api/devices', async (ctx) => {
      const p = ctx.state.principal;
      const query = parseQuery(ctx, devicesQuery);
      const { limit, cursor } = pageParams(ctx);
      const vaIds = listScope(state, access, p, 'license.read', query.va, query.nested);
      const minus = query.sort.startsWith('-');
      const sort = (minus ? query.sort.slice(1) : query.sort) as DeviceSortField;
      const desc = minus !== (query.order === 'desc');
      ctx.body = await deviceAdmin.list({ vaIds, state: query.state, via: query.via, q: query.q, sort, desc, limit, cursor });
    });

    router.get('/api/devices/:id', (ctx) => {
      const d = deviceAdmin.get(ctx.params.id!);
      access.require(ctx.state.principal, 'license.read', d.vaId);
      ctx.body = deviceAdmin.view(d);
    });

    router.delete('/api/devices/:id', async (ctx) => {
      const p = ctx.state.principal;
      const d = deviceAdmin.get(ctx.params.id!);
      access.require(p, 'license.write', d.vaId);
      const updated = await devices.deregister(d.id, actorOf(p), 'deregistered by a user');
      ctx.body = deviceAdmin.view(updated);
    });

    router.post('/api/devices/:id/move', async (ctx) => {
      const p = ctx.state.principal;
      const d = deviceAdmin.get(ctx.params.id!);
      access.require(p, 'license.write', d.vaId);
      const input = parseBody(moveBody, await readJson(ctx, ADMIN_BODY_LIMIT));
      const target = state.resolveVa(input.virtualAccount);
      access.require(p, 'license.write', target.id);
      ctx.body = await deviceAdmin.move(d.id, target.id, actorOf(p));
    });

    router.post('/api/devices/:id/reinstate', async (ctx) => {
      const p = ctx.state.principal;
      const d = deviceAdmin.get(ctx.params.id!);
      access.require(p, 'license.write', d.vaId);
      ctx.body = await deviceAdmin.reinstate(d.id, actorOf(p));
    });
  };
}
