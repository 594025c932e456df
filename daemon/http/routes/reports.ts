// GET /api/reports/licenses|subscriptions|devices?format=csv|xlsx: report files of what the
// caller may see, streamed as they are written.
import { z } from 'zod';
import type { Access } from '../../domain/access/roles.ts';
import { REPORTS, csvStream, xlsxStream, type ReportTables } from '../report-files/index.ts';
import type { State } from '../../domain/satellite/state.ts';
import { listScope } from '../../domain/access/va-scope.ts';
import type { AdminRouter } from '../admin-app.ts';
import { flag, parseQuery } from '../query.ts';

const reportQuery = z.strictObject({
  format: z.enum(['csv', 'xlsx']).default('csv'),
  va: z.string().min(1).max(1024).optional(),
  nested: flag,
});

const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

export function reportRoutes(deps: { tables: ReportTables; access: Access; state: State; clock: () => Date }) {
  return (router: AdminRouter) => {
    for (const name of REPORTS) {
      router.get(`/api/reports/${name}`, async (ctx) => {
        const query = parseQuery(ctx, reportQuery);
        const scope = listScope(deps.state, deps.access, ctx.state.principal, 'license.read', query.va, query.nested);
        const now = deps.clock();
        const table = await deps.tables.table(name, scope, now);
        const file = `outpost-${name}-${now.toISOString().slice(0, 10)}.${query.format}`;
        ctx.set('Content-Disposition', `attachment; filename="${file}"`);
        if (query.format === 'csv') {
          ctx.type = 'text/csv; charset=utf-8';
          ctx.body = csvStream(table);
        } else {
          ctx.type = XLSX_TYPE;
          ctx.body = xlsxStream(table);
        }
      });
    }
  };
}
