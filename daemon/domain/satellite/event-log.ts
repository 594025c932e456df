// Reading the audit log: newest first, filtered by type, VA and time, paged by event id, and
// limited to what the reader may see. Events are stored in the order written (keys.event).
import { OutpostError } from '../../errors.ts';
import { keys } from '../../store/index.ts';
import type { DomainContext } from './context.ts';
import type { EventRecord } from './records.ts';

export interface EventView {
  id: string;
  at: string;
  actor: string;
  type: string;
  virtualAccount: { id: string; path: string } | null;
  details: Record<string, unknown>;
}

export interface EventQuery {
  /** Exact types, or `prefix.*` for a family; any of them matches. */
  types: string[] | null;
  /** Events of these VAs only (null: any). */
  vaIds: Set<string> | null;
  /** May the reader see this event? */
  visible: (e: EventRecord) => boolean;
  since: number | null;
  until: number | null;
  /** Events about this device only: its own (actor `device:<id>`) and those naming it in `details.deviceId`. */
  deviceId?: string;
  limit: number;
  cursor: string | null;
}

/** A page may hold fewer items than asked when this many events were read without filling it; `next` goes on. */
export const SCAN_BUDGET = 50_000;
/** Time filters stop the scan once events are this much older than `since` (the clock may have stepped back a little). */
const CLOCK_SLACK_MS = 86_400_000;

export function createEventLog(ctx: DomainContext) {
  const { state } = ctx;

  const view = (e: EventRecord): EventView => ({
    id: e.id,
    at: e.at,
    actor: e.actor,
    type: e.type,
    virtualAccount:
      e.vaId === null
        ? null
        : { id: e.vaId, path: state.vas.has(e.vaId) ? state.vas.path(e.vaId) : typeof e.details.path === 'string' ? e.details.path : '' },
    details: e.details,
  });

  const typeMatches = (types: string[] | null, type: string) =>
    types === null || types.some((t) => (t.endsWith('.*') ? type.startsWith(t.slice(0, -1)) : t === type));

  return {
    view,

    async page(q: EventQuery): Promise<{ items: EventView[]; next: string | null }> {
      let upper = keys.eventPrefix + '\uffff';
      if (q.cursor !== null) {
        const id = Buffer.from(q.cursor, 'base64url').toString('utf8');
        const m = /^evt_(\d{16})$/.exec(id);
        if (!m) throw new OutpostError('INVALID_REQUEST', 'Parameter "cursor" is not valid.');
        upper = keys.event(Number(m[1]));
      }
      const items: EventView[] = [];
      let scanned = 0;
      let last: string | null = null;
      let exhausted = true;
      for await (const [, e] of ctx.store.iterate<EventRecord>({ gte: keys.eventPrefix, lt: upper, reverse: true })) {
        if (items.length === q.limit || scanned === SCAN_BUDGET) {
          exhausted = false;
          break;
        }
        scanned++;
        last = e.id;
        const at = Date.parse(e.at);
        if (q.since !== null && at < q.since - CLOCK_SLACK_MS) break;
        if (q.since !== null && at < q.since) continue;
        if (q.until !== null && at >= q.until) continue;
        if (!typeMatches(q.types, e.type)) continue;
        if (q.deviceId !== undefined && e.actor !== `device:${q.deviceId}` && e.details.deviceId !== q.deviceId) continue;
        if (q.vaIds !== null && (e.vaId === null || !q.vaIds.has(e.vaId))) continue;
        if (!q.visible(e)) continue;
        items.push(view(e));
      }
      const next = !exhausted && last !== null ? Buffer.from(last).toString('base64url') : null;
      return { items, next };
    },
  };
}

export type EventLog = ReturnType<typeof createEventLog>;
