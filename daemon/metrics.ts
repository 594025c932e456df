// Prometheus metrics, in a registry of their own (no global state). VAs are labelled by id.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createMetrics(sources: { devices: () => { registered: number; deregistered: number }; queueDepth: () => number }) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'outpost_process_' });
  const m = {
    registry,
    reportsAccepted: new Counter({ name: 'outpost_reports_accepted_total', help: 'Usage reports stored (answered 202).', registers: [registry] }),
    reportsDuplicate: new Counter({ name: 'outpost_reports_duplicate_total', help: 'Usage reports received again (answered 200).', registers: [registry] }),
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
