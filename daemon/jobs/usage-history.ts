// Hourly: today's sample of every VA's pools for the usage-over-time charts (the last sample of a
// day stands for it). Also taken once after start, so a satellite that was down has today's.
import { stageUsageSample } from '../domain/licenses/history/index.ts';
import type { DomainContext } from '../domain/satellite/context.ts';
import type { Licensing } from '../domain/licenses/workspace/index.ts';

export async function sampleUsage(ctx: DomainContext, licensing: Licensing, now: Date): Promise<{ pools: number }> {
  const sample = await ctx.writer.run((tx) => stageUsageSample(tx, now, licensing.pools(now, null)));
  return { pools: sample.pools.length };
}
