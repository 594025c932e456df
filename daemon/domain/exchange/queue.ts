// Removing acknowledged entries from the `rpq!` queue. An import moves the watermark in one
// small write; the entries below it are dead from then on (exports start above it) and are
// deleted afterwards, a few thousand per write so device traffic is never held up.
import { keys } from '../../store/index.ts';
import type { AckLedger } from '../reports/acks.ts';
import type { DomainContext } from '../satellite/context.ts';

export async function dropAcknowledged(ctx: DomainContext, ledger: AckLedger, chunk = 10_000): Promise<number> {
  let dropped = 0;
  // Each chunk starts after the last key deleted, rather than stepping over the tombstones of
  // every chunk before it.
  let after: string | undefined;
  for (;;) {
    const doomed: string[] = [];
    const start = after === undefined ? { gte: keys.unackedPrefix } : { gt: after };
    const range = { ...start, lte: keys.unacked(ledger.watermark), limit: chunk, values: false };
    for await (const [key] of ctx.store.iterate(range)) doomed.push(key);
    if (doomed.length === 0) return dropped;
    await ctx.writer.run((tx) => {
      for (const key of doomed) tx.del(key);
    });
    dropped += doomed.length;
    after = doomed.at(-1);
  }
}
