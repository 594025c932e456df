// POST /api/devices/:id/reset-key: a user with license rights on the device's VA lets a
// policy-mode device pin a new key (its next valid report pins it).
import type { Access } from '../../domain/access/roles.ts';
import { actorOf } from '../../domain/access/roles.ts';
import type { PolicyMode } from '../../domain/devices/policy.ts';
import type { State } from '../../domain/satellite/state.ts';
import { OutpostError } from '../../errors.ts';
import type { AdminRouter } from '../admin-app.ts';

export function deviceKeyRoutes(deps: { policy: Pick<PolicyMode, 'resetKey'>; access: Access; state: State }) {
  return (router: AdminRouter) => {
    router.post('/api/devices/:id/reset-key', async (ctx) => {
      const p = ctx.state.principal;
      const device = deps.state.device(ctx.params.id!);
      if (!device) throw new OutpostError('NOT_FOUND', 'No such device.');
      deps.access.require(p, 'license.write', device.vaId);
      const updated = await deps.policy.resetKey(device.id, actorOf(p));
      ctx.body = { id: updated.id, udi: updated.udi, via: updated.via, keyThumbprint: updated.keyThumbprint ?? null };
    });
  };
}
