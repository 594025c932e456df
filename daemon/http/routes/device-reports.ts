// GET /api/devices/:id/reports: a device's recent reports, newest first, with their
// acknowledgement state (for the device's page on the dashboard). Scoped like GET /api/devices/:id.
import { z } from 'zod';
import type { Access } from '../../domain/access/roles.ts';
import { decodeReportCursor, deviceReports, type AckLookup } from '../../domain/reports/device-reports.ts';
import type { DeviceAdmin } from '../../domain/devices/device-admin.ts';
import { OutpostError } from '../../errors.ts';
import type { Store } from '../../store/index.ts';
import type { AdminRouter } from '../admin-app.ts';
import { pageParams } from '../pagination.ts';
import { paging, parseQuery } from '../query.ts';

const reportsQuery = z.strictObject({ ...paging });

export function deviceReportRoutes(deps: { store: Store; ledger: AckLookup; deviceAdmin: DeviceAdmin; access: Access }) {
  return (router: AdminRouter) => {
    router.get('/api/devices/:id/reports', async (ctx) => {
      const d = deps.deviceAdmin.get(ctx.params.id!);
      deps.access.require(ctx.state.principal, 'license.read', d.vaId);
      parseQuery(ctx, reportsQuery);
      const { limit, cursor } = pageParams(ctx);
      const before = decodeReportCursor(cursor);
      if (Number.isNaN(before)) throw new OutpostError('INVALID_REQUEST', 'Parameter "cursor" is not valid.');
      ctx.body = await deviceReports(deps.store, deps.ledger, d.id, { limit, before });
    });
  };
}
