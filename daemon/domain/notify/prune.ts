// Deliveries kept for `notify.retentionDays` (SPEC §10 lists them; nothing says for ever): a
// delivery delivered or failed for good goes once its last attempt is that old. Deletes go
// through the one writer a few thousand keys at a time, oldest first, and stop at the first
// delivery still pending or too young, so a pending one is never touched; `meta!ntf-pruned`
// remembers how far pruning has gone, so a run never walks over what LevelDB keeps of deleted
// keys until it compacts them.
import { keys } from '../../store/keys.ts';
import { DAY_MS } from '../satellite/clock.ts';
import type { DomainContext } from '../satellite/context.ts';
import { recordEvent } from '../satellite/events.ts';
import type { Delivery } from './outbox.ts';

/** Keys deleted per write transaction (as the report and event prune). */
export const DELIVERY_CHUNK = 3000;

export interface DeliveryPruner {
  /** One run at `now`: the number of deliveries deleted. `signal` stops it between writes. */
  prune(now: Date, signal?: AbortSignal): Promise<number>;
}

/** May this delivery go at `cutoff` (ms)? Finished, and its last attempt before the cutoff. */
export const prunable = (d: Delivery, cutoff: number): boolean =>
  d.state !== 'pending' && Date.parse(d.lastAttemptAt ?? d.queuedAt) < cutoff;

export function createDeliveryPruner(ctx: DomainContext, opts: { chunk?: number } = {}): DeliveryPruner {
  const chunk = opts.chunk ?? DELIVERY_CHUNK;
  return {
    async prune(now, signal) {
      const days = ctx.config.notify.retentionDays;
      const cutoff = now.getTime() - days * DAY_MS;
      let from = (await ctx.store.get<{ through: number }>(keys.deliveriesPruned))?.through ?? 0;
      let pruned = 0;
      for (;;) {
        const doomed: string[] = [];
        let stop = false;
        for await (const [key, d] of ctx.store.iterate<Delivery>({ gt: keys.delivery(from), lt: `${keys.deliveryPrefix}\uffff`, limit: chunk })) {
          if (!prunable(d, cutoff)) {
            stop = true;
            break;
          }
          doomed.push(key);
        }
        if (doomed.length === 0) break;
        const through = Number(doomed.at(-1)!.slice(keys.deliveryPrefix.length));
        const started = performance.now();
        await ctx.writer.run((tx) => {
          for (const key of doomed) tx.del(key);
          tx.put(keys.deliveriesPruned, { through });
        });
        pruned += doomed.length;
        from = through;
        if (stop || doomed.length < chunk || signal?.aborted) break;
        // Wait as long as the write took: device reports queued meanwhile get batches of their own.
        const ms = performance.now() - started;
        await new Promise<void>((resolve) => setTimeout(resolve, Math.min(ms, 1000)));
      }
      if (pruned > 0) {
        await ctx.writer.run((tx) =>
          recordEvent(tx, ctx, now, { actor: 'system', type: 'notify.pruned', vaId: null, details: { deliveries: pruned, through: from, retentionDays: days } }),
        );
      }
      return pruned;
    },
  };
}
