// The route table: which routes each app serves, built from the services. The admin API's
// routes are mounted under a session on the admin listener and with full rights on the control
// socket (http/apps.ts); the public ones (login, the API document, the dashboard) need none.
import type Router from '@koa/router';
import type { Services } from '../../services.ts';
import type { AdminRouter } from '../admin-app.ts';
import { accountRoutes } from './account.ts';
import { apiTokenRoutes } from './api-tokens.ts';
import { ssoRoutes } from './sso.ts';
import { alertRoutes } from './alerts.ts';
import { backupRoutes } from './backup.ts';
import { deviceKeyRoutes } from './device-keys.ts';
import { deviceRoutes } from './devices.ts';
import { deviceReportRoutes } from './device-reports.ts';
import { eventRoutes } from './events.ts';
import { licenseRoutes } from './licenses.ts';
import { registrationRoutes } from './registration.ts';
import { reportRoutes } from './reports.ts';
import { reservationRoutes } from './reservations.ts';
import { notificationRoutes } from './notifications.ts';
import { loginRoutes, meRoutes } from './session.ts';
import { statusRoutes } from './status.ts';
import { quarantineRoutes } from './quarantine.ts';
import { syncRoutes } from './sync.ts';
import { tagRoutes } from './tags.ts';
import { timeRoutes } from './time.ts';
import { tokenRoutes } from './tokens.ts';
import { userRoutes } from './users.ts';
import { virtualAccountRoutes } from './virtual-accounts.ts';
import { collectorRoutes } from './collector.ts';
import { secretsKeyFileOf } from '../../collector/setup.ts';

export type AdminRoutes = Array<(router: AdminRouter) => void>;

/** The admin API (SPEC §4). `nextRun` answers a scheduled job's next run (the sync status shows it). */
export function adminRoutes(s: Services, nextRun: (job: string) => Date | null): AdminRoutes {
  const { access, ctx } = s;
  const { state, clock, config } = ctx;
  return [
    meRoutes({ state, users: s.users }),
    accountRoutes({ account: s.account, access }),
    virtualAccountRoutes({ vas: s.vas, access, state }),
    tagRoutes({ tags: s.tags, access }),
    userRoutes({ users: s.users, signIn: s.signIn, sessions: s.sessions, access }),
    apiTokenRoutes({ apiTokens: s.apiTokens, state }),
    eventRoutes({ events: s.eventLog, access, state }),
    tokenRoutes({ tokens: s.tokens, access }),
    statusRoutes({ status: s.status, access }),
    backupRoutes({ store: ctx.store, dataDir: config.dataDir, access, secretsKeyFile: secretsKeyFileOf(config) }),
    deviceKeyRoutes({ policy: s.policyMode, access, state }),
    syncRoutes({ exchange: s.exchange, syncJob: s.syncJob, nextScheduled: () => nextRun('sync'), access }),
    quarantineRoutes({ exchange: s.exchange, access }),
    registrationRoutes({ exchange: s.exchange, access }),
    licenseRoutes({ licensing: s.licensing, access, state, clock, store: ctx.store }),
    alertRoutes({ sources: s.alertSources, access, state, clock }),
    timeRoutes({ time: s.time, access }),
    notificationRoutes({ notifications: s.notifications, access }),
    deviceRoutes({ devices: s.devices, deviceAdmin: s.deviceAdmin, access, state }),
    deviceReportRoutes({ store: ctx.store, ledger: s.ledger, deviceAdmin: s.deviceAdmin, access }),
    reportRoutes({ tables: s.reportTables, access, state, clock }),
    reservationRoutes({ licensing: s.licensing, access, state }),
    collectorRoutes({ collector: s.collector, access, state }),
  ];
}

/** Login and logout: public on the admin listener (the control socket needs no session). */
export function loginRoute(s: Services): (router: Router) => void {
  return loginRoutes({ state: s.ctx.state, signIn: s.signIn, publicOrigin: s.ctx.config.admin.publicOrigin });
}

/** Single sign-on: public on the admin listener (SPEC §11). */
export function ssoRoute(s: Services): (router: Router) => void {
  const { config } = s.ctx;
  return ssoRoutes({ signIn: s.signIn, enabled: config.auth.oidc !== null, publicOrigin: config.admin.publicOrigin });
}
