// Every minute (SPEC §7): compares the standing alerts with the set stored at the last check and
// writes alert.raised / alert.changed / alert.cleared, whose notifications (SPEC §10) join the
// same batch. License alerts keep their own daily check (license-alerts.ts) and are left out
// here so no change is written twice.
import type { Alert, AlertSource } from '../domain/alerts/alerts.ts';
import type { DomainContext } from '../domain/satellite/context.ts';
import { recordEvent } from '../domain/satellite/events.ts';
import { keys } from '../store/index.ts';

/** What identifies an alert across checks (SPEC §7): type, VA, entitlement, subject. */
const identity = (a: Alert): string =>
  [a.type, a.vaId ?? '', a.entitlement ?? '', a.subject ? `${a.subject.kind}:${a.subject.id}` : ''].join('\u0000');

export async function checkAlerts(ctx: DomainContext, sources: () => readonly AlertSource[], now: Date): Promise<{ raised: number; changed: number; cleared: number }> {
  const current = sources().flatMap((s) => s(now));
  return ctx.writer.run(async (tx) => {
    const stored = (await tx.get<Alert[]>(keys.standingAlerts)) ?? [];
    const previous = new Map(stored.map((a) => [identity(a), a]));
    const counts = { raised: 0, changed: 0, cleared: 0 };
    const event = (type: string, a: Alert, extra: Record<string, unknown> = {}) =>
      recordEvent(tx, ctx, now, {
        actor: 'system',
        type,
        vaId: a.vaId,
        details: { alert: a.type, severity: a.severity, entitlement: a.entitlement, subject: a.subject ?? null, message: a.message, ...extra },
      });
    const next: Alert[] = [];
    for (const a of current) {
      const k = identity(a);
      const before = previous.get(k);
      previous.delete(k);
      if (before === undefined) {
        event('alert.raised', a, { since: a.since });
        counts.raised++;
      } else if (before.severity !== a.severity) {
        event('alert.changed', a, { previousSeverity: before.severity });
        counts.changed++;
      }
      next.push(a);
    }
    for (const a of previous.values()) {
      event('alert.cleared', a);
      counts.cleared++;
    }
    if (counts.raised + counts.changed + counts.cleared > 0) tx.put(keys.standingAlerts, next);
    return counts;
  });
}
