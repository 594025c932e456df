// The process assembly: config → listeners → store → services → apps → control socket.
// `openSatellite` never exits the process; main does.
import { readFileSync } from 'node:fs';
import { chmod, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type http from 'node:http';
import { socketPathOf, type FrozenConfig } from './config/index.ts';
import { createAccess, type Access, type Principal } from './domain/access/roles.ts';
import { createAccount } from './domain/accounts/account.ts';
import { createAuth } from './domain/access/auth.ts';
import { createEventLog } from './domain/satellite/event-log.ts';
import { createLoginThrottle } from './domain/access/login-throttle.ts';
import { createSessions } from './domain/access/sessions.ts';
import { createTags } from './domain/accounts/tags.ts';
import { createUsers } from './domain/access/users.ts';
import { createVirtualAccounts } from './domain/accounts/virtual-accounts.ts';
import { AckLedger } from './domain/reports/acks.ts';
import { collectAlerts, type Alert, type AlertSource, type AlertView } from './domain/alerts/alerts.ts';
import { bootstrap } from './domain/satellite/bootstrap.ts';
import { systemClock, type Clock } from './domain/satellite/clock.ts';
import type { DomainContext } from './domain/satellite/context.ts';
import { CredentialVerifier } from './domain/devices/credentials.ts';
import { createDeviceAdmin, type DeviceAdmin } from './domain/devices/device-admin.ts';
import { createDevices, type Devices } from './domain/devices/registration.ts';
import { createExchange, type EntitlementSink, type Exchange, type ExportSources } from './exchange/exchange.ts';
import { createLapse, type Lapse } from './domain/satellite/lapse.ts';
import { loadIdentity } from './files/identity-file.ts';
import { writeInitialPassword } from './files/initial-password.ts';
import { createIngest } from './domain/reports/ingest.ts';
import { ReportIdFilter } from './domain/reports/report-ids.ts';
import { REPORT_IDS_FILE, restoreReportIds, saveReportIds } from './files/report-ids-file.ts';
import { openLicensing, type Licensing } from './domain/licenses/workspace/index.ts';
import { createPolicyMode, ensurePolicyVa } from './domain/devices/policy.ts';
import { createReportTables } from './http/report-files/index.ts';
import { createRetention } from './domain/reports/retention.ts';
import { Sequences } from './domain/satellite/sequences.ts';
import { State } from './domain/satellite/state.ts';
import { createStatus, type Listeners } from './domain/satellite/status.ts';
import { createTokens } from './domain/devices/tokens.ts';
import { createAdminApp, type AdminRouter } from './http/admin-app.ts';
import { createDeviceApp } from './http/device-app.ts';
import type { Health } from './http/health.ts';
import { accountRoutes } from './http/routes/account.ts';
import { alertRoutes } from './http/routes/alerts.ts';
import { backupRoutes } from './http/routes/backup.ts';
import { deviceKeyRoutes } from './http/routes/device-keys.ts';
import { deviceRoutes } from './http/routes/devices.ts';
import { eventRoutes } from './http/routes/events.ts';
import { licenseRoutes } from './http/routes/licenses.ts';
import { openApiRoutes } from './http/routes/openapi.ts';
import { reportRoutes } from './http/routes/reports.ts';
import { reservationRoutes } from './http/routes/reservations.ts';
import { loginRoutes, meRoutes } from './http/routes/session.ts';
import { tagRoutes } from './http/routes/tags.ts';
import { userRoutes } from './http/routes/users.ts';
import { virtualAccountRoutes } from './http/routes/virtual-accounts.ts';
import type { RouteInfo } from './http/route-list.ts';
import { sessionPrincipal } from './http/session-auth.ts';
import { statusRoutes } from './http/routes/status.ts';
import { tokenRoutes } from './http/routes/tokens.ts';
import { uiRoutes } from './http/routes/ui.ts';
import { registrationRoutes } from './http/routes/registration.ts';
import { syncRoutes } from './http/routes/sync.ts';
import { licenseJobs } from './jobs/index.ts';
import { lapseJob } from './jobs/lapse.ts';
import { createRetentionJob, type RetentionJob } from './jobs/retention.ts';
import { createSchedule, type Schedule } from './jobs/schedule.ts';
import { createSyncJob, type SyncJob } from './jobs/sync.ts';
import { bindSocket, bindTcp, closeServer, StartError, type Listener } from './listeners.ts';
import { createMetrics, registerLicenseGauges } from './metrics.ts';
import { Writer } from './store/index.ts';
import { LevelStore, StoreLockedError } from './store/level.ts';
import { lazyDashboard } from '../web-ui/build.ts';

export const SOCKET_PATH_MAX = 100;

/** The daily lapse check's schedule (local time). */
export const LAPSE_CHECK_CRON = '11 0 * * *';
/** The daily retention run's schedule (local time), after the license jobs; it also runs at start-up. */
export const RETENTION_CRON = '35 4 * * *';

/** The license workspace's services, for tests and tools that build their own app around them. */
export interface Services {
  access: Access;
  devices: Devices;
  deviceAdmin: DeviceAdmin;
  licensing: Licensing;
  alertSources: AlertSource[];
  /** The admin API's routes, as mounted on both admin apps. */
  routes: Array<(router: AdminRouter) => void>;
}

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
  /** Duplicate detection's filter of stored report ids (filled in the background after start). */
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

const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export async function openSatellite(config: FrozenConfig, opts: OpenOptions): Promise<Satellite> {
  const { log } = opts;
  const clock = opts.clock ?? systemClock;
  const socketPath = socketPathOf(config);
  if (Buffer.byteLength(socketPath) > SOCKET_PATH_MAX) {
    throw new StartError(`controlSocket: the path ${socketPath} is longer than ${SOCKET_PATH_MAX} bytes; set a shorter controlSocket or dataDir`);
  }
  const health: Health = { state: 'opening' };
  // Shutdown: the servers stop accepting and finish in-flight requests first (together), then the
  // writer drains, then the store closes.
  const servers: Array<() => Promise<void>> = [];
  const opened: Array<() => Promise<void>> = [];
  const closeAll = async () => {
    const report = (err: unknown) => log.error({ err }, 'error while closing');
    await Promise.all(servers.map((fn) => fn().catch(report)));
    for (const fn of opened.reverse()) await fn().catch(report);
  };

  try {
    // Listeners first: a port in use stops the start before anything is written.
    const device: Listener = await bindTcp('device', config.device.listen, config.device.tls);
    servers.push(() => closeServer(device.server, 8000));
    const admin: Listener = await bindTcp('admin', config.admin.listen, config.admin.tls);
    servers.push(() => closeServer(admin.server, 8000));

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

    const { identity, created } = await loadIdentity(config.dataDir);
    if (created) log.info({ satelliteId: identity.id }, 'created the satellite identity');
    const state = await State.load(store);
    const seq = await Sequences.load(store);
    const ledger = await AckLedger.load(store);
    // Duplicate detection's filter of stored report ids: taken back from a graceful shutdown, or
    // filled in the background once the satellite serves. Saved after the writer's last batch.
    const reportIds = new ReportIdFilter();
    const reportIdsFile = path.join(config.dataDir, REPORT_IDS_FILE);
    const reportIdsRestored = await restoreReportIds(reportIds, reportIdsFile, { satelliteId: identity.id, reportSeq: seq.current('report') });
    opened.push(async () => {
      await reportIds.stop();
      await saveReportIds(reportIds, reportIdsFile, { satelliteId: identity.id, reportSeq: seq.current('report') });
    });
    let metricsRef: ReturnType<typeof createMetrics> | null = null;
    const writer = new Writer(store, {
      queueLimit: config.device.queueLimit,
      stats: {
        onBatch: (size, seconds) => {
          metricsRef?.batchSize.observe(size);
          metricsRef?.batchSeconds.observe(seconds);
        },
      },
    });
    opened.push(() => writer.close());
    const metrics = createMetrics({ devices: () => state.countDevices(), queueDepth: () => writer.depth });
    metricsRef = metrics;
    const ctx: DomainContext = { config, store, writer, seq, state, clock, identity };

    const { initialPasswordFile } = await bootstrap(ctx, (password) => writeInitialPassword(config.dataDir, password));
    if (initialPasswordFile) {
      log.warn({ file: initialPasswordFile }, 'created the user "admin"; its one-time password is in this file (mode 0600); change it at first login');
    }

    // The license workspace: lines, holdings, transfers and reservations from their records;
    // pools built from them and the devices in memory, then kept up to date by every device
    // change (the state's watchers) and every new latest report (the ingest hook below).
    const licensing = await openLicensing(ctx);
    const deviceAdmin = createDeviceAdmin(ctx);
    state.watchDevices(licensing.onDeviceChange);
    state.watchDevices(deviceAdmin.onDeviceChange);

    const exchange = await createExchange(ctx, {
      log,
      ledger,
      sink: opts.entitlementSink ?? licensing.entitlementSink,
      sources: opts.exportSources ?? licensing.exportSources,
      env: opts.env ?? process.env,
    });
    const lapse = createLapse(ctx);
    const syncJob = createSyncJob({ exchange, log });
    const checkLapse = lapseJob({ lapse, clock, log });
    const retentionJob = createRetentionJob({
      retention: createRetention(ctx, { ledger }),
      clock,
      log,
      onPruned: ({ reports, events }) => {
        metrics.pruned.inc({ kind: 'reports' }, reports);
        metrics.pruned.inc({ kind: 'events' }, events);
      },
    });
    const retention = { name: 'retention', cron: RETENTION_CRON, run: () => retentionJob.run() };
    const schedule = createSchedule(
      [
        ...(config.exchange.url ? [{ name: 'sync', cron: config.exchange.schedule, run: () => syncJob.run() }] : []),
        { name: 'lapse', cron: LAPSE_CHECK_CRON, run: checkLapse },
        ...licenseJobs({ ctx, licensing }),
        retention,
      ],
      log,
    );
    opened.push(async () => {
      syncJob.stop();
      retentionJob.stop();
      await schedule.stop();
      await exchange.settled();
    });
    // Before any listener serves: a satellite that lapsed while it was down says so at once.
    await checkLapse();

    const listeners: Listeners = { device: device.url, admin: admin.url };
    const access = createAccess(state);
    const tokens = createTokens(ctx);
    const devices = createDevices(ctx);
    const ingest = createIngest(
      ctx,
      {
        onAccepted: () => metrics.reportsAccepted.inc(),
        onDuplicate: () => metrics.reportsDuplicate.inc(),
        onUsage: (device, before, after) => {
          licensing.onUsage(device, before, after);
          deviceAdmin.onReported(device);
        },
      },
      { ledger, reportIds },
    );
    const verifier = new CredentialVerifier(identity, state.devices);
    // Every alert of SPEC §7: the license workspace's, the exchange's (sync) and the lapse rule's.
    const fromView = (a: AlertView): Alert => ({ ...a, vaId: a.virtualAccount?.id ?? null });
    const alertSources: AlertSource[] = [
      licensing.alertSource,
      (now) => exchange.syncAlerts(now).map(fromView),
      (now) => lapse.alerts(now).map(fromView),
    ];
    registerLicenseGauges(metrics.registry, {
      pools: () => licensing.pools(clock(), null),
      alerts: () => collectAlerts(alertSources, clock()),
    });

    // The access model: sessions and the login throttle live in memory (a restart logs everyone out).
    const sessions = createSessions({
      clock,
      idleMs: config.admin.session.idleMinutes * 60_000,
      absoluteMs: config.admin.session.absoluteHours * 3_600_000,
    });
    const throttle = createLoginThrottle({ clock });
    const users = createUsers(ctx, { sessions });
    const auth = createAuth(ctx, { sessions, throttle, eventVa: (u) => users.eventVa(u.roles) });
    const vas = createVirtualAccounts(ctx, {
      hasLicenses: (vaId) => licensing.vaHasLicenses(vaId),
      forgetLicenses: (tx, vaId) => licensing.stageForgetVirtualAccount(tx, vaId),
    });

    const policyMode = createPolicyMode(ctx, ingest);
    if (config.device.policyMode.enabled) await ensurePolicyVa(ctx);
    const deviceApp = createDeviceApp({
      ctx,
      log,
      metrics,
      health,
      identity,
      devices,
      ingest,
      verifier,
      poolStatus: licensing.poolStatus,
      ...(config.device.policyMode.enabled ? { policy: policyMode } : {}),
    });
    const routes = [
      meRoutes({ state }),
      accountRoutes({ account: createAccount(ctx), access }),
      virtualAccountRoutes({ vas, access, state }),
      tagRoutes({ tags: createTags(ctx), access }),
      userRoutes({ users, auth, access }),
      eventRoutes({ events: createEventLog(ctx), access, state }),
      tokenRoutes({ tokens, access }),
      statusRoutes({ status: createStatus(ctx, listeners), access }),
      backupRoutes({ store, dataDir: config.dataDir, access }),
      deviceKeyRoutes({ policy: policyMode, access, state }),
      syncRoutes({ exchange, syncJob, nextScheduled: () => schedule.nextRun('sync'), access }),
      registrationRoutes({ exchange, access }),
      licenseRoutes({ licensing, access, state, clock }),
      alertRoutes({ sources: alertSources, access, state, clock }),
      deviceRoutes({ devices, deviceAdmin, access, state }),
      reportRoutes({ tables: createReportTables(ctx, licensing), access, state, clock }),
      reservationRoutes({ licensing, access, state }),
    ];
    const openApi = openApiRoutes({ version: VERSION });
    const adminApp = createAdminApp({
      log,
      metrics,
      health,
      principal: sessionPrincipal({ sessions, state, publicOrigin: config.admin.publicOrigin }),
      // The dashboard is built on its first request (esbuild, in memory) and served from memory.
      publicRoutes: [
        openApi,
        loginRoutes({ state, auth, sessions, publicOrigin: config.admin.publicOrigin }),
        uiRoutes({ dashboard: lazyDashboard() }),
      ],
      routes,
    });
    const localPrincipal: Principal = { kind: 'local' };
    const socketApp = createAdminApp({ log, metrics, health, principal: async () => localPrincipal, publicRoutes: [openApi], routes });

    // The database lock is held: a leftover socket is ours to remove.
    await rm(socketPath, { force: true });
    const socket: http.Server = await bindSocket(socketPath, socketApp.callback());
    await chmod(socketPath, 0o600);
    servers.push(async () => {
      await closeServer(socket, 8000);
      await rm(socketPath, { force: true });
    });

    device.setHandler(deviceApp.callback());
    admin.setHandler(adminApp.callback());
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
    void schedule.runJob(retention);
    if (reportIdsRestored) log.info('report id filter ready (saved at the last shutdown)');
    else {
      const filling = performance.now();
      void reportIds.load(store).then(
        (n) => n !== null && log.info({ reports: n, ms: Math.round(performance.now() - filling) }, 'report id filter ready'),
        (err: unknown) => log.warn({ err }, 'report id filter not filled; duplicate detection reads the store for every report'),
      );
    }

    return {
      listeners,
      socketPath,
      ctx,
      routes: { admin: adminApp.routeList, device: deviceApp.routeList },
      exchange,
      lapse,
      syncJob,
      retentionJob,
      reportIds,
      schedule,
      services: { access, devices, deviceAdmin, licensing, alertSources, routes },
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

function isLoopback(listen: string): boolean {
  const host = listen.slice(0, listen.lastIndexOf(':')).replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

