// Notifications (SPEC §10): GET /api/summary for every reader (their scope), and for sa-admins
// the deliveries list and test sends.
import { z } from 'zod';
import type { Access } from '../../domain/access/roles.ts';
import { actorOf } from '../../domain/access/roles.ts';
import { parseBody } from '../../domain/satellite/validate.ts';
import { OutpostError } from '../../errors.ts';
import type { Notifications } from '../../notify/service.ts';
import type { AdminRouter } from '../admin-app.ts';
import { ADMIN_BODY_LIMIT, readJson } from '../body.ts';
import { pageParams } from '../pagination.ts';
import { emailAddress } from '../../domain/notify/index.ts';

const testBody = z.strictObject({ channel: z.enum(['email', 'syslog', 'webhook']), to: emailAddress.optional() });

export function notificationRoutes(deps: { notifications: Notifications; access: Access; syncStatus: () => Record<string, unknown> }) {
  const { notifications, access } = deps;
  return (router: AdminRouter) => {
    router.get('/api/summary', async (ctx) => {
      access.requireSome(ctx.state.principal, 'account.read');
      // `sync` as GET /api/sync answers it, next run included (the schedule is the process's).
      ctx.body = { ...(await notifications.summary(ctx.state.principal)), sync: deps.syncStatus() };
    });

    router.get('/api/notifications/deliveries', async (ctx) => {
      access.require(ctx.state.principal, 'notify.manage');
      const { limit, cursor } = pageParams(ctx);
      if (cursor !== null && !/^\d{1,16}$/.test(cursor)) throw new OutpostError('INVALID_REQUEST', 'Parameter "cursor" is not valid.');
      ctx.body = await notifications.deliveries(limit, cursor);
    });

    router.post('/api/notifications/test', async (ctx) => {
      const p = ctx.state.principal;
      access.require(p, 'notify.manage');
      const body = parseBody(testBody, await readJson(ctx, ADMIN_BODY_LIMIT));
      if (body.to !== undefined && body.channel !== 'email') throw new OutpostError('INVALID_REQUEST', 'Field "to" is for the email channel only.');
      ctx.status = 202;
      ctx.body = { items: await notifications.test(body.channel, body.to ?? null, p, actorOf(p)) };
    });
  };
}
