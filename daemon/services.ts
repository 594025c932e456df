// The composition root's first half: builds every service of the satellite from the opened
// store, in dependency order, and says what each one is. Nothing here listens or schedules;
// daemon/main.ts does that with what this returns (routes: http/routes/index.ts, jobs: jobs/index.ts).
import type { Logger } from 'pino';
import type { FrozenConfig } from './config/index.ts';
import { collectAlerts, type Alert, type AlertSource, type AlertView } from './domain/alerts/alerts.ts';
import { createAccount, type Account } from './domain/accounts/account.ts';
import { createTags, type Tags } from './domain/accounts/tags.ts';
import { createVirtualAccounts, type VirtualAccounts } from './domain/accounts/virtual-accounts.ts';
import { createApiTokens, type ApiTokens } from './domain/access/api-tokens.ts';
import { createLoginThrottle, type LoginThrottle } from './domain/access/login-throttle.ts';
import { createAccess, type Access } from './domain/access/roles.ts';
import { createStoredSessions, sessionExpiryEvents, type StoredSessions } from './domain/access/sessions.ts';
import { createSignIn, type SignIn } from './domain/access/sign-in.ts';
import { createLdapDirectory } from './directory/ldap.ts';
import { createSso, SsoRefused } from './directory/oidc.ts';
import { createUsers, type Users } from './domain/access/users.ts';
import { CredentialVerifier } from './domain/devices/credentials.ts';
import { createDeviceAdmin, type DeviceAdmin } from './domain/devices/device-admin.ts';
import { deviceIndexFormatOp, deviceIndexLooksSound, rebuildDeviceIndex } from './domain/devices/device-index.ts';
import { keys as storeKeys, prefixRange } from './store/index.ts';
import { createPolicyMode, ensurePolicyVa, type PolicyMode } from './domain/devices/policy.ts';
import { createDevices, type Devices } from './domain/devices/registration.ts';
import { createTokens, type Tokens } from './domain/devices/tokens.ts';
import type { EntitlementSink, ExportSources } from './domain/exchange/index.ts';
import { createReportTables, type ReportTables } from './domain/licenses/report-tables.ts';
import { openLicensing, type Licensing } from './domain/licenses/workspace/index.ts';
import { AckLedger } from './domain/reports/acks.ts';
import { createIngest, type Ingest } from './domain/reports/ingest.ts';
import { ReportIdFilter } from './domain/reports/report-ids.ts';
import { createRetention } from './domain/reports/retention.ts';
import { createRumRetention } from './domain/collector/retention.ts';
import { bootstrap } from './domain/satellite/bootstrap.ts';
import type { Clock } from './domain/satellite/clock.ts';
import type { DomainContext } from './domain/satellite/context.ts';
import { createEventLog, type EventLog } from './domain/satellite/event-log.ts';
import type { Identity } from './domain/satellite/identity.ts';
import { createLapse, type Lapse } from './domain/satellite/lapse.ts';
import { createTimeMark, type TimeMark } from './domain/satellite/time-mark.ts';
import { Sequences } from './domain/satellite/sequences.ts';
import { State } from './domain/satellite/state.ts';
import { createStatus, type Listeners, type StatusReader } from './domain/satellite/status.ts';
import { createExchange, type Exchange } from './exchange/exchange.ts';
import { removeInitialPassword, writeInitialPassword } from './files/initial-password.ts';
import { scratchText } from './files/device-search-file.ts';
import { createCollector, type Collector } from './collector/service.ts';
import { loadEntitlementMap, ownListeners, secretsKeyFileOf } from './collector/setup.ts';
import { createRetentionJob, type RetentionJob } from './jobs/retention.ts';
import { createSyncJob, type SyncJob } from './jobs/sync.ts';
import { registerLicenseGauges, type Metrics } from './metrics.ts';
import { createNotifications, type Notifications } from './notify/service.ts';
import { createDeliveryPruner } from './domain/notify/prune.ts';
import type { Store, Writer } from './store/index.ts';

/** The user the first start creates, with its password in <dataDir>/initial-admin-password. */
const INITIAL_ADMIN = 'admin';

/** What the services are built from: opened by daemon/main.ts. */
export interface Core {
  config: FrozenConfig;
  log: Logger;
  clock: Clock;
  store: Store;
  writer: Writer;
  identity: Identity;
  metrics: Metrics;
  listeners: Listeners;
  /** For HTTPS_PROXY and NO_PROXY. */
  env: NodeJS.ProcessEnv;
  /** Where an imported entitlement snapshot goes; default: the license workspace's. */
  entitlementSink?: EntitlementSink;
  /** Transfers and reservations to export; default: the license workspace's. */
  exportSources?: ExportSources;
}

/** Every service of the satellite, as the routes, the jobs and the tests use them. */
export interface Services {
  ctx: DomainContext;
  /** Acknowledged report ranges, shared by ingest (GET /v1/acks), the exchange and retention. */
  ledger: AckLedger;
  /** Duplicate detection's filter of stored report ids (filled in the background after start). */
  reportIds: ReportIdFilter;
  access: Access;
  /** Admin sessions, kept in the store (SPEC §11). */
  sessions: StoredSessions;
  throttle: LoginThrottle;
  users: Users;
  /** Local, directory (auth.ldap) and single sign-on (auth.oidc) logins. */
  signIn: SignIn;
  apiTokens: ApiTokens;
  account: Account;
  vas: VirtualAccounts;
  tags: Tags;
  eventLog: EventLog;
  status: StatusReader;
  tokens: Tokens;
  devices: Devices;
  deviceAdmin: DeviceAdmin;
  verifier: CredentialVerifier;
  ingest: Ingest;
  policyMode: PolicyMode;
  licensing: Licensing;
  reportTables: ReportTables;
  exchange: Exchange;
  lapse: Lapse;
  /** The high-water mark of time, the clock-suspect alert and its undo (issue 14 finding 4). */
  time: TimeMark;
  syncJob: SyncJob;
  retentionJob: RetentionJob;
  /** The pull collector of Cisco products (SPEC §9): targets, polls, RUM reports and acknowledgements. */
  collector: Collector;
  /** Every alert of SPEC §7: the license workspace's, the exchange's (sync), the lapse rule's, notifications', the collector's. */
  alertSources: AlertSource[];
  /** The outbox and its senders, the summary, deliveries and tests (SPEC §10); opened by main.ts. */
  notifications: Notifications;
}

/** The in-memory state loaded and the first start's records made; `initialPasswordFile` when one was written. */
export async function openContext(core: Core): Promise<{ ctx: DomainContext; initialPasswordFile: string | null }> {
  const { config, store, writer, clock, identity } = core;
  const ctx: DomainContext = { config, store, writer, clock, identity, seq: await Sequences.load(store), state: await State.load(store) };
  // Transactions read devices and latest usages the state has cached without a LevelDB read.
  writer.readThrough((key) => ctx.state.cached(key));
  const { initialPasswordFile } = await bootstrap(ctx, (password) => writeInitialPassword(config.dataDir, password));
  return { ctx, initialPasswordFile };
}

export async function buildServices(core: Core, ctx: DomainContext): Promise<Services> {
  const { config, log, clock, metrics } = core;
  const { state } = ctx;
  const ledger = await AckLedger.load(ctx.store);
  const reportIds = new ReportIdFilter();

  // The license workspace: lines, holdings, transfers and reservations from their records; the
  // pools' usage sums restored or counted by main.ts (no device read here), then kept current by State.watch.
  const licensing = await openLicensing(ctx);
  // `?q=`'s text in a file of its own in the data dir (unlinked at once), not in memory.
  const deviceAdmin = createDeviceAdmin(ctx, {
    text: () => scratchText(config.dataDir),
    onSearchFailure: (err) => log.error({ err }, 'device search column failed (its file in the data dir); ?q= walks the device indexes until a restart'),
  });
  await checkDeviceIndex(ctx, log);
  state.watch({ device: deviceAdmin.onDeviceChange });
  // `?q=`'s text column is taken back or filled in the background by main.ts, once serving.
  state.watch({ device: licensing.onDeviceChange, usage: licensing.onUsage });

  const collector = createCollector({
    ctx,
    secretsKeyFile: secretsKeyFileOf(config),
    entitlementMap: await loadEntitlementMap(config),
    listeners: () => ownListeners(core.listeners),
    metrics: { poll: (result) => metrics.collectorPolls.inc({ result }) },
    log,
  });
  await collector.open();
  const exchange = await createExchange(ctx, {
    log,
    ledger,
    sink: core.entitlementSink ?? licensing.entitlementSink,
    // The collector's RUM reports travel in every satellite report (rum.ndjson).
    sources: { ...(core.exportSources ?? licensing.exportSources), rum: collector.rumSource },
    env: core.env,
  });
  const lapse = createLapse(ctx);
  const time = createTimeMark(ctx, { monotonic: () => performance.now() });
  const retentionJob = createRetentionJob({
    retention: createRetention(ctx, { ledger, rum: createRumRetention(ctx) }),
    deliveries: createDeliveryPruner(ctx),
    clock,
    log,
    onPruned: ({ reports, events, rumReports, rumRecords, deliveries }) => {
      metrics.pruned.inc({ kind: 'reports' }, reports);
      metrics.pruned.inc({ kind: 'events' }, events);
      metrics.pruned.inc({ kind: 'rum_reports' }, rumReports ?? 0);
      metrics.pruned.inc({ kind: 'rum_records' }, rumRecords ?? 0);
      metrics.pruned.inc({ kind: 'deliveries' }, deliveries);
    },
  });
  const ingest = createIngest(ctx, { onAccepted: () => metrics.reportsAccepted.inc(), onDuplicate: () => metrics.reportsDuplicate.inc() }, { ledger, reportIds });
  const fromView = (a: AlertView): Alert => ({ ...a, vaId: a.virtualAccount?.id ?? null });
  const alertSources: AlertSource[] = [
    licensing.alertSource,
    (now) => exchange.syncAlerts(now).map(fromView),
    () => exchange.quarantine.alerts().map(fromView),
    (now) => lapse.alerts(now).map(fromView),
    (now) => collector.alerts(now),
    () => time.alerts(),
  ];
  // Until the pools are counted (after an unclean shutdown) the pool gauges have no samples.
  registerLicenseGauges(metrics.registry, { pools: () => (licensing.counts.ready ? licensing.pools(clock(), null) : []), alerts: () => collectAlerts(alertSources, clock()) });

  // The access model: sessions in the store (a restart logs no one out), the login throttle in memory.
  const sessions = createStoredSessions({
    store: ctx.store,
    writer: ctx.writer,
    // SPEC §11: expiry against the later of the wall clock and the store's high-water mark of
    // time, so a clock stepped back stretches no session.
    now: () => time.sessionNow(),
    idleMs: config.admin.session.idleMinutes * 60_000,
    absoluteMs: config.admin.session.absoluteHours * 3_600_000,
    onExpired: sessionExpiryEvents(ctx, (roles) => users.eventVa(roles)),
  });
  const throttle = createLoginThrottle({ clock });
  const users = createUsers(ctx, {
    sessions,
    // The first start made `admin` with a one-time password in a file; once admin chose their own, it goes.
    onOwnPasswordChanged: (user) => {
      if (user.username !== INITIAL_ADMIN) return;
      removeInitialPassword(config.dataDir).then(
        (file) => file && log.info({ file }, 'removed the initial admin password file: admin has changed that password'),
        (err: unknown) => log.warn({ err }, 'could not remove the initial admin password file'),
      );
    },
  });
  await sessions.open();
  const access = createAccess(state);
  const apiTokens = createApiTokens(ctx, { access, throttle });
  await apiTokens.open();
  const { ldap, oidc } = config.auth;
  const signIn = createSignIn(ctx, {
    sessions,
    throttle,
    eventVa: (u) => users.eventVa(u.roles),
    ldap: ldap === null ? null : { directory: createLdapDirectory(ldap), roleMap: ldap.roleMap },
    oidc:
      oidc === null
        ? null
        : {
            sso: createSso(oidc, { redirectUri: `${new URL(config.admin.publicOrigin!).origin}/api/sso/callback`, now: () => clock().getTime() }),
            roleMap: oidc.roleMap,
            isRefusal: (err): err is SsoRefused => err instanceof SsoRefused,
          },
  });
  if (config.device.policyMode.enabled) await ensurePolicyVa(ctx);

  // Notifications (SPEC §10): from here on every event stages its notifications in its own batch.
  const notifications = createNotifications({
    ctx,
    log,
    access,
    licensing,
    alertSources: () => alertSources,
    syncStatus: () => ({ ...exchange.status(null) }),
    count: (channel, result) => metrics.notifications.inc({ channel, result }),
  });
  ctx.onEvent = notifications.onEvent;
  alertSources.push(notifications.alertSource);

  return {
    ctx,
    ledger,
    reportIds,
    access,
    sessions,
    throttle,
    users,
    signIn,
    apiTokens,
    account: createAccount(ctx),
    vas: createVirtualAccounts(ctx, {
      hasLicenses: (vaId) => licensing.vaHasLicenses(vaId),
      forgetLicenses: (tx, vaId) => licensing.stageForgetVirtualAccount(tx, vaId),
    }),
    tags: createTags(ctx),
    eventLog: createEventLog(ctx),
    status: createStatus(ctx, core.listeners),
    tokens: createTokens(ctx),
    devices: createDevices(ctx),
    deviceAdmin,
    verifier: new CredentialVerifier(ctx.identity, (id) => state.device(id)),
    ingest,
    policyMode: createPolicyMode(ctx, ingest),
    licensing,
    reportTables: createReportTables(ctx, licensing),
    exchange,
    lapse,
    time,
    syncJob: createSyncJob({ exchange, log }),
    retentionJob,
    collector,
    alertSources,
    notifications,
  };
}

/**
 * The device indexes, checked at start by reading a few dozen keys; found missing or wrong, they
 * are rebuilt in the background (one log line at the start, one at the end), list requests
 * waiting for it meanwhile. A store without devices just gets the format record.
 */
async function checkDeviceIndex(ctx: DomainContext, log: Logger): Promise<void> {
  if (await deviceIndexLooksSound(ctx.store)) return;
  let empty = true;
  for await (const _ of ctx.store.iterate({ ...prefixRange(storeKeys.devicePrefix), limit: 1, values: false })) empty = false;
  if (empty) {
    await ctx.store.batch([deviceIndexFormatOp()], { sync: true });
    return;
  }
  log.warn('the device indexes are missing or out of step with the devices: rebuilding them in the background; device lists wait for it');
  const started = performance.now();
  rebuildDeviceIndex(ctx).then(
    (devices) => log.info({ devices, ms: Math.round(performance.now() - started) }, `rebuilt the device indexes: ${devices} devices`),
    (err: unknown) => log.error({ err }, 'rebuilding the device indexes failed; the next start tries again'),
  );
}
