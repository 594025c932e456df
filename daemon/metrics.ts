// Prometheus metrics, in a registry of their own (no global state). VAs are labelled by id.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { PoolView } from './domain/licenses/core/index.ts';

export function createMetrics(sources: {
  devices: () => { registered: number; deregistered: number };
  queueDepth: () => number;
  /** False while the store cannot write (a full disk). */
  storageAvailable?: () => boolean;
}) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'outpost_process_' });
  const m = {
    registry,
    reportsAccepted: new Counter({ name: 'outpost_reports_accepted_total', help: 'Usage reports stored (answered 202).', registers: [registry] }),
    reportsDuplicate: new Counter({ name: 'outpost_reports_duplicate_total', help: 'Usage reports received again (answered 200).', registers: [registry] }),
    pruned: new Counter({
      name: 'outpost_retention_pruned_total',
      help: 'Records removed by retention: acknowledged reports, audit events and collected RUM reports (rum_reports: pruned to their tombstones).',
      labelNames: ['kind'],
      registers: [registry],
    }),
    notifications: new Counter({
      name: 'outpost_notifications_total',
      help: 'Notification attempts by channel and result: delivered, retry (failed, tried again later) or failed (given up).',
      labelNames: ['channel', 'result'],
      registers: [registry],
    }),
    collectorPolls: new Counter({
      name: 'outpost_collector_polls_total',
      help: 'Polls of collector targets, by result: ok, udi_taken, or the failure (unreachable, timeout, tls, auth_failed, bad_answer, too_large).',
      labelNames: ['result'],
      registers: [registry],
    }),
    storageFailures: new Counter({
      name: 'outpost_storage_failures_total',
      help: 'Times the store stopped writing (a full or failing disk); each one is recovered by reopening the database.',
      registers: [registry],
    }),
    refusals: new Counter({ name: 'outpost_refusals_total', help: 'Requests refused, by error code.', labelNames: ['code'], registers: [registry] }),
    batchSize: new Histogram({
      name: 'outpost_write_batch_size',
      help: 'Transactions committed per synced write batch.',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
      registers: [registry],
    }),
    batchSeconds: new Histogram({
      name: 'outpost_write_batch_seconds',
      help: 'Time to write and sync one batch.',
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1],
      registers: [registry],
    }),
  };
  // Both series from the start, at 0, so a scrape before the first prune shows them.
  for (const kind of ['reports', 'events', 'rum_reports']) m.pruned.inc({ kind }, 0);
  for (const channel of ['email', 'syslog', 'webhook']) for (const result of ['delivered', 'retry', 'failed']) m.notifications.inc({ channel, result }, 0);
  new Gauge({
    name: 'outpost_storage_available',
    help: '1 while the store writes, 0 while it cannot (a full disk): writing requests answer 503 STORAGE_UNAVAILABLE.',
    registers: [registry],
    collect() {
      this.set(sources.storageAvailable?.() === false ? 0 : 1);
    },
  });
  new Gauge({
    name: 'outpost_devices',
    help: 'Devices by state.',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const c = sources.devices();
      this.set({ state: 'registered' }, c.registered);
      this.set({ state: 'deregistered' }, c.deregistered);
    },
  });
  new Gauge({
    name: 'outpost_write_queue_depth',
    help: 'Transactions waiting for the writer.',
    registers: [registry],
    collect() {
      this.set(sources.queueDepth());
    },
  });
  return m;
}

export type Metrics = ReturnType<typeof createMetrics>;

/** A pool as the gauges read it: VA by id. */
export type PoolFigures = Pick<PoolView, 'vaId' | 'entitlement' | 'purchased' | 'reserved' | 'inUse' | 'available'>;

/**
 * License gauges in `registry`: `outpost_alerts{type,severity}` (standing alerts of every
 * source) and, per VA (by id, never its path) and entitlement, `outpost_pool_purchased`,
 * `outpost_pool_reserved`, `outpost_pool_in_use` and `outpost_pool_available`. Read at scrape.
 */
export function registerLicenseGauges(
  registry: Registry,
  sources: { pools: () => PoolFigures[]; alerts: () => Array<{ type: string; severity: string }> },
): void {
  new Gauge({
    name: 'outpost_alerts',
    help: 'Standing alerts, by type and severity.',
    labelNames: ['type', 'severity'],
    registers: [registry],
    collect() {
      this.reset();
      const counts = new Map<string, { type: string; severity: string; n: number }>();
      for (const a of sources.alerts()) {
        const k = `${a.type}\u0000${a.severity}`;
        const c = counts.get(k);
        if (c) c.n++;
        else counts.set(k, { type: a.type, severity: a.severity, n: 1 });
      }
      for (const c of counts.values()) this.set({ type: c.type, severity: c.severity }, c.n);
    },
  });
  // Each gauge reads the pools itself: a reading costs the number of pools, not devices.
  const pool = (name: string, help: string, figure: (p: PoolFigures) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['va', 'entitlement'],
      registers: [registry],
      collect() {
        this.reset();
        for (const p of sources.pools()) if (p.vaId !== null) this.set({ va: p.vaId, entitlement: p.entitlement }, figure(p));
      },
    });
  pool('outpost_pool_purchased', 'Licenses purchased and active, per VA id and entitlement.', (p) => p.purchased);
  pool('outpost_pool_reserved', 'Licenses held by reservations, per VA id and entitlement.', (p) => p.reserved);
  pool('outpost_pool_in_use', 'Licenses in use by registered devices, per VA id and entitlement.', (p) => p.inUse);
  pool('outpost_pool_available', 'Purchased minus reserved minus in use (negative: overage), per VA id and entitlement.', (p) => p.available);
}
