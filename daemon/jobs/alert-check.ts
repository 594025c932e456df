// Every minute (SPEC §7): compares every standing alert — license alerts included — with the set
// stored at the last check and writes alert.raised / alert.changed / alert.cleared, whose
// notifications (SPEC §10) join the same batch. The one place alert changes become events.
import type { Alert, AlertSource } from '../domain/alerts/alerts.ts';
import type { DomainContext } from '../domain/satellite/context.ts';
import { recordEvent } from '../domain/satellite/events.ts';
import { keys } from '../store/index.ts';

/** What identifies an alert across checks (SPEC §7): type, VA, entitlement, subject. */
const identity = (a: Alert): string =>
  [a.type, a.vaId ?? '', a.entitlement ?? '', a.subject ? `${a.subject.kind}:${a.subject.id}` : ''].join('\u0000');

/**
 * The stored set. A store last checked by a version with a separate daily license-alert job keeps
 * those alerts under `lic!alerts`: they count as stored (so nothing is raised twice) until this
 * check writes the one set and drops the old key. Those older license alerts had no subject; an
 * unknown-virtual-account alert now names its line, so it is matched by line from its message.
 */
async function storedSet(tx: import('../store/writer.ts').Tx): Promise<{ stored: Alert[]; legacy: boolean }> {
  const stored = (await tx.get<Alert[]>(keys.standingAlerts)) ?? [];
  const legacy = await tx.get<Alert[]>(keys.licenseAlerts);
  if (legacy === undefined) return { stored, legacy: false };
  const lineOf = (a: Alert) => /^Line (\S+) \(/.exec(a.message)?.[1];
  const upgraded = legacy.map((a): Alert => {
    const line = a.type === 'unknown-virtual-account' && !a.subject ? lineOf(a) : undefined;
    return line === undefined ? a : { ...a, subject: { kind: 'line', id: line } };
  });
  return { stored: [...stored, ...upgraded], legacy: true };
}

export async function checkAlerts(ctx: DomainContext, sources: () => readonly AlertSource[], now: Date): Promise<{ raised: number; changed: number; cleared: number }> {
  const current = sources().flatMap((s) => s(now));
  return ctx.writer.run(async (tx) => {
    const { stored, legacy } = await storedSet(tx);
    const previous = new Map(stored.map((a) => [identity(a), a]));
    const counts = { raised: 0, changed: 0, cleared: 0 };
    // `since` is kept with the set so it survives a restart (the license rules read it back).
    let sinceMoved = false;
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
      } else if (before.since !== a.since) {
        sinceMoved = true;
      }
      next.push(a);
    }
    for (const a of previous.values()) {
      event('alert.cleared', a);
      counts.cleared++;
    }
    if (counts.raised + counts.changed + counts.cleared > 0 || sinceMoved || legacy) tx.put(keys.standingAlerts, next);
    if (legacy) tx.del(keys.licenseAlerts);
    return counts;
  });
}
