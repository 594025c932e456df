// The process: config → listeners → store → services → apps → control socket → jobs, then
// signals and exit codes. `openSatellite` assembles one satellite and never exits the process;
// `serve` (the `outpost serve` verb) runs one until SIGTERM or SIGINT. Services are built in
// services.ts, routes in http/routes/index.ts, jobs in jobs/index.ts.
import { chmod, mkdir, rm } from 'node:fs/promises';
import type http from 'node:http';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Logger } from 'pino';
import { ConfigError, loadConfig, socketPathOf, type FrozenConfig } from './config/index.ts';
import { systemClock, type Clock } from './domain/satellite/clock.ts';
import type { DomainContext } from './domain/satellite/context.ts';
import type { EntitlementSink, ExportSources } from './domain/exchange/index.ts';
import type { Exchange } from './exchange/exchange.ts';
import type { Listeners } from './domain/satellite/status.ts';
import type { Lapse } from './domain/satellite/lapse.ts';
import type { ReportIdFilter } from './domain/reports/report-ids.ts';
import { loadIdentity } from './files/identity-file.ts';
import { REPORT_IDS_FILE, restoreReportIds, saveReportIds } from './files/report-ids-file.ts';
import { POOL_COUNTS_FILE, restorePoolCounts, savePoolCounts } from './files/pool-counts-file.ts';
import { DEVICE_SEARCH_FILE, saveDeviceSearch, takeDeviceSearch } from './files/device-search-file.ts';
import type { Cover } from './domain/licenses/workspace/pool-counts.ts';
import type { DeviceAdmin } from './domain/devices/device-admin.ts';
import type { Licensing } from './domain/licenses/workspace/index.ts';
import { createApps } from './http/apps.ts';
import type { Health } from './http/health.ts';
import type { RouteInfo } from './http/route-list.ts';
import { createSchedule, jobTable, type Schedule } from './jobs/index.ts';
import type { RetentionJob } from './jobs/retention.ts';
import type { SyncJob } from './jobs/sync.ts';
import { bindSocket, bindTcp, closeServer, StartError } from './listeners.ts';
import { createLogger } from './log.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { buildServices, openContext, type Services } from './services.ts';
import { VERSION } from './version.ts';
import { Writer } from './store/index.ts';
import { LevelStore, StoreLockedError } from './store/level.ts';
import { createStorageGuard } from './store/storage-guard.ts';
import { checkAlerts } from './jobs/alert-check.ts';
import { StoreTooNewError, upgradeStore, type Upgrade } from './store/upgrade.ts';
import { recordEvent } from './domain/satellite/events.ts';

export const SOCKET_PATH_MAX = 100;

export interface Satellite {
  listeners: Listeners;
  socketPath: string;
  ctx: DomainContext;
  /** What each listener serves (the admin listener's routes are the control socket's too). */
  routes: { admin: RouteInfo[]; device: RouteInfo[] };
  exchange: Exchange;
  lapse: Lapse;
  syncJob: SyncJob;
  retentionJob: RetentionJob;
  reportIds: ReportIdFilter;
  schedule: Schedule;
  services: Services;
  close(): Promise<void>;
}

export interface OpenOptions {
  log: Logger;
  clock?: Clock;
  /** Where an imported entitlement snapshot goes (the license workspace's); default: kept whole. */
  entitlementSink?: EntitlementSink;
  /** Transfers and reservations to export (the license workspace's); default: none. */
  exportSources?: ExportSources;
  /** Environment for HTTPS_PROXY and NO_PROXY; default: process.env. */
  env?: NodeJS.ProcessEnv;
}

export async function openSatellite(config: FrozenConfig, opts: OpenOptions): Promise<Satellite> {
  const { log } = opts;
  const socketPath = socketPathOf(config);
  if (Buffer.byteLength(socketPath) > SOCKET_PATH_MAX) {
    throw new StartError(`controlSocket: the path ${socketPath} is longer than ${SOCKET_PATH_MAX} bytes; set a shorter controlSocket or dataDir`);
  }
  const health: Health = { state: 'opening' };
  // Shutdown: servers stop accepting and finish in-flight requests (together), then the rest closes in reverse.
  const servers: Array<() => Promise<void>> = [];
  const opened: Array<() => Promise<void>> = [];
  const closeAll = async () => {
    const report = (err: unknown) => log.error({ err }, 'error while closing');
    await Promise.all(servers.map((fn) => fn().catch(report)));
    for (const fn of opened.reverse()) await fn().catch(report);
  };
  try {
    // Listeners first: a port in use stops the start before anything is written.
    const device = await bindTcp('device', config.device.listen, config.device.tls);
    servers.push(() => closeServer(device.server, 8000));
    const admin = await bindTcp('admin', config.admin.listen, config.admin.tls);
    servers.push(() => closeServer(admin.server, 8000));
    const { store, metrics, reportIdsRestored, poolCounts, search, s, storage } = await openServices(config, opts, { device: device.url, admin: admin.url }, opened);
    health.storage = () => storage.available;
    countPools(s.licensing, poolCounts, log);
    const { jobs, beforeServing, afterStart } = jobTable(s, log);
    const schedule = createSchedule(jobs, log);
    opened.push(async () => {
      s.syncJob.stop();
      s.retentionJob.stop();
      await schedule.stop();
      await s.collector.close();
      await s.exchange.settled();
      // What the identity flush job had not written yet (API tokens' lastUsedAt, sessions' lastSeen).
      await s.apiTokens.flushLastUsed();
      await s.sessions.flush();
    });
    for (const job of beforeServing) await job.run();

    const apps = createApps(s, { log, metrics, health, version: VERSION, nextRun: (job) => schedule.nextRun(job), adminUrl: admin.url });
    // The database lock is held: a leftover socket is ours to remove.
    await rm(socketPath, { force: true });
    const socket: http.Server = await bindSocket(socketPath, apps.socket.callback());
    await chmod(socketPath, 0o600);
    servers.push(async () => {
      await closeServer(socket, 8000);
      await rm(socketPath, { force: true });
    });
    device.setHandler(apps.device.callback());
    admin.setHandler(apps.admin.callback());
    health.state = 'ok';
    if (device.url.startsWith('http:') && !isLoopback(config.device.listen)) {
      log.warn('the device listener serves plain HTTP on a non-loopback address: credentials travel in the clear; configure device.tls');
    }
    log.info(`device listener on ${device.url}`);
    log.info(`admin listener on ${admin.url}`);
    log.info(`control socket on ${socketPath}`);
    schedule.start();
    // What came due while the satellite was down, in the background: a large prune yields to
    // device traffic chunk by chunk, and shutdown stops it between two writes.
    for (const job of afterStart) void schedule.runJob(job);
    fillReportIds(s.reportIds, reportIdsRestored, store, log);
    openSearch(s.deviceAdmin, search.file, search.cover, log);
    return {
      listeners: { device: device.url, admin: admin.url },
      socketPath,
      ctx: s.ctx,
      routes: { admin: apps.admin.routeList, device: apps.device.routeList },
      exchange: s.exchange,
      lapse: s.lapse,
      syncJob: s.syncJob,
      retentionJob: s.retentionJob,
      reportIds: s.reportIds,
      schedule,
      services: s,
      close: async () => {
        health.state = 'closing';
        await closeAll();
      },
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/** The store, the identity, the writer and every service; what it opens is closed through `opened`. */
async function openServices(config: FrozenConfig, opts: OpenOptions, listeners: Listeners, opened: Array<() => Promise<void>>) {
  const { log } = opts;
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  await chmod(config.dataDir, 0o700);
  const store = new LevelStore(path.join(config.dataDir, 'db'));
  try {
    await store.open();
  } catch (err) {
    if (err instanceof StoreLockedError) throw new StartError(`dataDir: ${config.dataDir} is in use by another running Outpost`);
    throw err;
  }
  opened.push(() => store.close());
  const clock = opts.clock ?? systemClock;
  let upgrade: Upgrade | null;
  try {
    upgrade = await upgradeStore(store, { dataDir: config.dataDir, log, now: clock() });
  } catch (err) {
    if (err instanceof StoreTooNewError) throw new StartError(err.message);
    throw err;
  }
  const { identity, created } = await loadIdentity(config.dataDir);
  if (created) log.info({ satelliteId: identity.id }, 'created the satellite identity');

  let metricsRef: Metrics | null = null;
  let sRef: Services | null = null;
  const storage = createStorageGuard({
    store,
    writer: () => writer,
    dataDir: config.dataDir,
    clock,
    log,
    onFailure: () => metricsRef?.storageFailures.inc(),
    // The alert could not be written while it stood: the alert check records it now (raised,
    // with its `since`); the next check clears it.
    onRecovered: async () => {
      const s = sRef;
      if (s) await checkAlerts(s.ctx, () => s.alertSources, clock());
    },
  });
  opened.push(async () => storage.close());
  const writer = new Writer(store, {
    queueLimit: config.device.queueLimit,
    stats: { onBatch: (size, seconds) => (metricsRef?.batchSize.observe(size), metricsRef?.batchSeconds.observe(seconds)) },
    onStorageError: (err) => storage.failed(err),
  });
  opened.push(() => writer.close());
  let ctxRef: DomainContext | null = null;
  const metrics = (metricsRef = createMetrics({
    devices: () => ctxRef?.state.countDevices() ?? { registered: 0, deregistered: 0 },
    queueDepth: () => writer.depth,
    storageAvailable: () => storage.available,
  }));
  const core = { config, log, clock, store, writer, identity, metrics, listeners, env: opts.env ?? process.env, entitlementSink: opts.entitlementSink, exportSources: opts.exportSources };
  const { ctx, initialPasswordFile } = await openContext(core);
  ctxRef = ctx;
  if (upgrade) {
    const { from, to, backup } = upgrade;
    await ctx.writer.run((tx) => void recordEvent(tx, ctx, clock(), { actor: 'system', type: 'store.upgraded', vaId: null, details: { from, to, backup } }));
  }
  if (initialPasswordFile) {
    log.warn({ file: initialPasswordFile }, 'created the user "admin"; its one-time password is in this file (mode 0600); change it at first login');
  }
  const s = await buildServices(core, ctx);
  sRef = s;
  s.alertSources.push((now) => storage.alerts(now));
  // Duplicate detection's filter: taken back from a graceful shutdown, or filled in the
  // background once the satellite serves. Saved after the writer's last batch.
  const file = path.join(config.dataDir, REPORT_IDS_FILE);
  const cover = () => ({ satelliteId: identity.id, reportSeq: ctx.seq.current('report') });
  const reportIdsRestored = await restoreReportIds(s.reportIds, file, cover());
  // The pools' usage sums likewise: taken back, or counted in the background (countPools).
  const poolsFile = path.join(config.dataDir, POOL_COUNTS_FILE);
  const poolCounts = await restorePoolCounts(s.licensing.counts, poolsFile);
  // `?q=`'s text column likewise (openSearch): the store as it is before serving decides.
  const searchFile = path.join(config.dataDir, DEVICE_SEARCH_FILE);
  const searchCover = await s.licensing.counts.cover();
  opened.push(async () => {
    await s.reportIds.stop();
    await s.licensing.counts.stop();
    await writer.close(); // the last batch first: the files cover exactly what is durable
    await saveReportIds(s.reportIds, file, cover());
    await savePoolCounts(s.licensing.counts, poolsFile);
    const saving = performance.now();
    const savedSearch = await saveDeviceSearch(searchFile, await s.licensing.counts.cover(), s.deviceAdmin.searchBytes());
    log.info({ ms: Math.round(performance.now() - saving) }, savedSearch ? 'device search saved for the next start' : 'device search not saved (not ready, or given up): the next start reads it from the store');
  });
  // The senders stop before the writer closes (reverse order), so what they sent is recorded.
  await s.notifications.open();
  opened.push(() => s.notifications.close());
  return { store, metrics, reportIdsRestored, poolCounts, search: { file: searchFile, cover: searchCover }, s, storage };
}

/** Pools answer at once with saved sums; otherwise they are counted in the background and their reads wait. */
function countPools(licensing: Licensing, saved: 'restored' | 'missing' | 'stale', log: Logger): void {
  if (saved === 'restored') {
    log.info('pool counts ready (saved at the last shutdown)');
    return;
  }
  log.info({ saved }, saved === 'missing' ? 'counting the pools in the background (no counts saved: first start or unclean shutdown); pool reads wait' : 'counting the pools in the background (the saved counts do not match the store); pool reads wait');
  void licensing.counts.count().then(
    (r) => r !== null && log.info({ devices: r.devices, chunks: r.chunks, ms: Math.round(r.ms) }, 'pools counted'),
    (err: unknown) => log.error({ err }, 'pools not counted; pool reads answer 503 until a restart'),
  );
}

/** `?q=`'s text column, in the background: the one saved at the last shutdown, or made from the device records. */
function openSearch(admin: DeviceAdmin, file: string, cover: Cover, log: Logger): void {
  const started = performance.now();
  void takeDeviceSearch(file, cover)
    .then(async (saved) => {
      // Taking it unlinked it: a stop or a crash from here on leaves no saved column.
      const r = await admin.openSearch(typeof saved === 'string' ? null : saved);
      return { ...r, saved };
    })
    .then(
      ({ devices, from, error, saved }) =>
        log.info(
          { devices, ms: Math.round(performance.now() - started), from, ...(error === undefined ? {} : { error }) },
          from === 'saved'
            ? `device search ready: ${devices} devices (saved at the last shutdown)`
            : `device search ready: ${devices} devices (read from the store: ${error !== undefined ? 'the saved column did not load' : saved === 'stale' ? 'the saved column does not match the store' : 'none saved: first start or unclean shutdown'})`,
        ),
      (err: unknown) => log.warn({ err }, 'filling the device search failed; ?q= walks the indexes'),
    );
}

function fillReportIds(reportIds: ReportIdFilter, restored: boolean, store: LevelStore, log: Logger): void {
  if (restored) {
    log.info('report id filter ready (saved at the last shutdown)');
    return;
  }
  const filling = performance.now();
  void reportIds.load(store).then(
    (n) => n !== null && log.info({ reports: n, ms: Math.round(performance.now() - filling) }, 'report id filter ready'),
    (err: unknown) => log.warn({ err }, 'report id filter not filled; duplicate detection reads the store for every report'),
  );
}

function isLoopback(listen: string): boolean {
  const host = listen.slice(0, listen.lastIndexOf(':')).replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/** `outpost serve`: runs the daemon until SIGTERM or SIGINT, then shuts down within 10 s; answers the exit code. */
export async function serve(args: string[]): Promise<number> {
  let values;
  try {
    values = parseArgs({ args, options: { config: { type: 'string' }, 'data-dir': { type: 'string' } }, strict: true }).values;
  } catch (err) {
    process.stderr.write(`outpost: ${(err as Error).message}\n`);
    return 2;
  }
  let config;
  try {
    config = loadConfig({ file: values.config ?? null, overrides: values['data-dir'] ? { dataDir: values['data-dir'] } : {} });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`outpost: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const log = createLogger(config.log.level);
  // Node prints its process warnings as plain text on stderr; the daemon's lines stay JSON.
  process.removeAllListeners('warning');
  process.on('warning', (w: Error & { code?: string }) => log.warn({ warning: w.name, code: w.code }, w.message));
  let satellite;
  try {
    satellite = await openSatellite(config, { log });
  } catch (err) {
    if (err instanceof StartError) {
      log.fatal(err.message);
      process.stderr.write(`outpost: ${err.message}\n`);
      return 1;
    }
    log.fatal({ err }, 'start-up failed');
    process.stderr.write(`outpost: start-up failed: ${(err as Error).message}\n`);
    return 1;
  }

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'shutting down');
      const force = setTimeout(() => {
        log.error('shutdown took longer than 10 s; exiting');
        resolve(1);
      }, 10_000);
      force.unref();
      satellite.close().then(
        () => {
          clearTimeout(force);
          log.info('stopped');
          resolve(0);
        },
        (err: unknown) => {
          clearTimeout(force);
          log.error({ err }, 'error during shutdown');
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
}
