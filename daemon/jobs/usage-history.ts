// Hourly: today's sample of every VA's pools for the usage-over-time charts (the last sample of a
// day stands for it). Written only when it differs from today's stored one, so an idle
// satellite writes nothing.
import { dayOf, sameSample, stageUsageSample, type UsageSample } from '../domain/licenses/history/index.ts';
import { keys } from '../store/index.ts';
import type { DomainContext } from '../domain/satellite/context.ts';
import type { Licensing } from '../domain/licenses/workspace/index.ts';

export async function sampleUsage(ctx: DomainContext, licensing: Licensing, now: Date): Promise<{ pools: number; written: boolean }> {
  await licensing.whenCounted(); // outside the transaction: the count needs the writer
  return ctx.writer.run(async (tx) => {
    const pools = licensing.pools(now, null);
    const stored = await tx.get<UsageSample>(keys.usageSample(dayOf(now)));
    if (stored && sameSample(stored, pools)) return { pools: stored.pools.length, written: false };
    return { pools: stageUsageSample(tx, now, pools).pools.length, written: true };
  });
}
