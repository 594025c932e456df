// /api/time: the satellite's clock against the store's high-water mark of time, and the
// confirmation that clears `clock-suspect` — with `undo`, reinstating the devices the lapse or
// the silent-device rule deregistered while it stood (issue 14 finding 4; README "A wrong clock").
import { z } from 'zod';
import type { Access } from '../../domain/access/roles.ts';
import { actorOf } from '../../domain/access/roles.ts';
import type { TimeMark } from '../../domain/satellite/time-mark.ts';
import { parseBody } from '../../domain/satellite/validate.ts';
import type { AdminRouter } from '../admin-app.ts';
import { ADMIN_BODY_LIMIT, readJson } from '../body.ts';

const confirmBody = z.strictObject({ undo: z.boolean().optional() });

export function timeRoutes(deps: { time: TimeMark; access: Access }) {
  return (router: AdminRouter) => {
    router.get('/api/time', (ctx) => {
      deps.access.require(ctx.state.principal, 'account.read');
      ctx.body = deps.time.view();
    });

    router.post('/api/time/confirm', async (ctx) => {
      const p = ctx.state.principal;
      deps.access.require(p, 'clock.confirm');
      const input = parseBody(confirmBody, await readJson(ctx, ADMIN_BODY_LIMIT));
      ctx.body = await deps.time.confirm({ undo: input.undo === true, actor: actorOf(p) });
    });
  };
}
