// POST /api/registration: {token} registers over the network; {token, offline: true} answers
// the registration request bundle to carry to the cloud (SPEC §4, §5).
import { z } from 'zod';
import type { Access } from '../../domain/access/roles.ts';
import { actorOf } from '../../domain/access/roles.ts';
import type { Exchange } from '../../exchange/exchange.ts';
import { parseBody } from '../../domain/satellite/validate.ts';
import type { AdminRouter } from '../admin-app.ts';
import { ADMIN_BODY_LIMIT, readJson } from '../body.ts';
import { sendBundle } from './sync.ts';

const registrationBody = z.strictObject({
  token: z.string().min(1).max(1024),
  offline: z.boolean().default(false),
});

export function registrationRoutes(deps: { exchange: Exchange; access: Access }) {
  return (router: AdminRouter) => {
    router.post('/api/registration', async (ctx) => {
      const p = ctx.state.principal;
      deps.access.require(p, 'sync.register');
      const input = parseBody(registrationBody, await readJson(ctx, ADMIN_BODY_LIMIT));
      if (input.offline) {
        const file = await deps.exchange.registrationRequest(input.token, actorOf(p));
        await sendBundle(ctx, file, 'outpost-registration-request.zip');
        return;
      }
      ctx.body = await deps.exchange.register(input.token, actorOf(p));
    });
  };
}
