// GET /api/events: the audit log, newest first, paginated, filtered by type, VA and time, and
// limited to what the caller may see (events of no VA: account-scope readers only).
import { z } from 'zod';
import type { Access } from '../../domain/access/roles.ts';
import type { EventLog } from '../../domain/satellite/event-log.ts';
import type { State } from '../../domain/satellite/state.ts';
import { isoTimestamp } from '../../domain/satellite/validate.ts';
import type { AdminRouter } from '../admin-app.ts';
import { pageParams } from '../pagination.ts';
import { parseQuery } from '../query.ts';

const eventType = /^[a-z0-9_-]+(\.[a-z0-9_-]+)*(\.\*)?$/;

export const eventsQuery = z.strictObject({
  type: z
    .string()
    .max(512)
    .refine((s) => s.split(',').every((t) => eventType.test(t)), 'must be event types separated by commas, e.g. "user.login_failed" or "user.*"')
    .optional(),
  /** A VA id or path; `all` (the whole account) is the same as none. */
  va: z.string().min(1).max(1024).optional(),
  nested: z.enum(['true', 'false']).optional(),
  since: isoTimestamp.optional(),
  until: isoTimestamp.optional(),
  /** A device id: events about that device (its registration, moves, deregistration, key resets). */
  device: z.string().min(1).max(128).optional(),
  limit: z.string().optional(),
  cursor: z.string().optional(),
});

export function eventRoutes(deps: { events: EventLog; access: Access; state: State }) {
  return (router: AdminRouter) => {
    router.get('/api/events', async (ctx) => {
      const p = ctx.state.principal;
      deps.access.requireSome(p, 'events.read');
      const q = parseQuery(ctx, eventsQuery);
      const { limit, cursor } = pageParams(ctx);
      let vaIds: Set<string> | null = null;
      if (q.va !== undefined && q.va !== 'all') {
        const va = deps.state.resolveVa(q.va);
        deps.access.require(p, 'events.read', va.id);
        vaIds = new Set(q.nested === 'true' ? deps.state.vas.subtree(va.id) : [va.id]);
      }
      const all = deps.access.accountWide(p, 'events.read');
      const scope = all ? null : deps.access.scope(p, 'events.read');
      ctx.body = await deps.events.page({
        types: q.type === undefined ? null : q.type.split(','),
        vaIds,
        visible: (e) => all || (e.vaId !== null && scope!.has(e.vaId)),
        since: q.since === undefined ? null : Date.parse(q.since),
        until: q.until === undefined ? null : Date.parse(q.until),
        ...(q.device === undefined ? {} : { deviceId: q.device }),
        limit,
        cursor,
      });
    });
  };
}
