// Daily: recomputes the license alerts (expiry flags move with time alone) and writes an event
// for each alert raised, cleared or changed in severity since the last check; the standing
// list is kept so `since` survives a restart.
import type { DomainContext } from '../domain/satellite/context.ts';
import { recordEvent } from '../domain/satellite/events.ts';
import type { LicenseAlert } from '../domain/licenses/core/index.ts';
import type { Licensing } from '../domain/licenses/workspace/index.ts';
import { keys } from '../store/index.ts';

/** What identifies an alert across checks (its message changes with the days left). */
const identity = (a: LicenseAlert): string =>
  [a.type, a.vaId ?? '', a.entitlement ?? '', a.type === 'unknown-virtual-account' ? a.message : ''].join('\u0000');

export async function checkLicenseAlerts(ctx: DomainContext, licensing: Licensing, now: Date): Promise<{ raised: number; cleared: number; changed: number }> {
  await licensing.whenCounted(); // outside the transaction: the count needs the writer
  const current = licensing.licenseAlerts(now);
  return ctx.writer.run(async (tx) => {
    const previous = new Map(((await tx.get<LicenseAlert[]>(keys.licenseAlerts)) ?? []).map((a) => [identity(a), a]));
    const counts = { raised: 0, cleared: 0, changed: 0 };
    const event = (type: string, a: LicenseAlert, extra: Record<string, unknown> = {}) =>
      recordEvent(tx, ctx, now, {
        actor: 'system',
        type,
        vaId: a.vaId,
        details: { alert: a.type, severity: a.severity, entitlement: a.entitlement, message: a.message, ...extra },
      });
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
    }
    for (const a of previous.values()) {
      event('alert.cleared', a);
      counts.cleared++;
    }
    tx.put(keys.licenseAlerts, current);
    return counts;
  });
}
