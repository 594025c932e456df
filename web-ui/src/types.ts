// The admin API's shapes (SPEC §4) as the dashboard reads them: the daemon's own view types, so a
// change of an answer fails the type check here instead of drifting. Only types: esbuild erases
// `import type` and `export type`, so nothing of these modules reaches the bundle. Import them
// with `import type`; the inline form `import { type X }` keeps the module as a side-effect import
// under verbatimModuleSyntax, and one such line pulls the store and LevelDB into app.js
// (test/e2e/assets.test.ts checks what the bundle is made of).
import type { RegistrationState } from '../../daemon/domain/satellite/records.ts';
import type { StatusReader } from '../../daemon/domain/satellite/status.ts';
import type { UserView } from '../../daemon/domain/access/users.ts';
import type { AlertView } from '../../daemon/domain/alerts/alerts.ts';
import type { Summary as SummaryDocument } from '../../daemon/domain/notify/summary.ts';
import type { SyncStatus as SyncAnswer } from '../../daemon/exchange/exchange.ts';

export type { AccountView as Account } from '../../daemon/domain/accounts/account.ts';
export type { AlertView as Alert } from '../../daemon/domain/alerts/alerts.ts';
export type { DeviceJson as Device } from '../../daemon/domain/devices/device-admin.ts';
export type { DeviceReportView as DeviceReport } from '../../daemon/domain/reports/device-reports.ts';
export type { HistoryEntry as ExchangeEntry } from '../../daemon/domain/exchange/history.ts';
export type { UsagePoint } from '../../daemon/domain/licenses/history/index.ts';
export type { LineView as LicenseLine } from '../../daemon/domain/licenses/lines/index.ts';
export type { EventView as OutpostEvent } from '../../daemon/domain/satellite/event-log.ts';
export type { ImportResult, SyncResult, SyncStatus } from '../../daemon/exchange/exchange.ts';
export type { LicenseCount } from '../../daemon/domain/licenses/core/types.ts';
export type { PoolJson as Pool, ReservationJson as Reservation, TransferExport as Transfer } from '../../daemon/domain/licenses/workspace/index.ts';
export type { TokenView as Token } from '../../daemon/domain/devices/tokens.ts';
export type { ApiTokenView as ApiToken } from '../../daemon/domain/access/api-tokens.ts';
export type { SessionView } from '../../daemon/domain/access/sessions.ts';
export type { Role } from '../../daemon/domain/satellite/records.ts';
export type { UserView as User } from '../../daemon/domain/access/users.ts';
export type { VaView as VirtualAccount } from '../../daemon/domain/accounts/virtual-accounts.ts';
export type { Page } from '../../daemon/http/pagination.ts';

/** GET /api/summary (SPEC §10): `sync` as GET /api/sync answers it, alerts as GET /api/alerts. */
export type Summary = Omit<SummaryDocument, 'sync' | 'alerts'> & { sync: SyncAnswer; alerts: AlertView[] };

/** GET /api/status: what `outpost status --json` prints. */
export type Status = ReturnType<StatusReader>;

export type Registration = RegistrationState;

/** A role grant as users and `/api/me` show it. */
export type Grant = UserView['roles'][number];

/** A VA as other objects name it. */
export type VaRef = NonNullable<Grant['virtualAccount']>;

/**
 * GET /api/me for a logged-in user: the user's view without `createdAt` (the daemon's `meView`;
 * its `id: null` is the control socket's `local`, which never runs the dashboard).
 */
export type Me = Omit<UserView, 'createdAt'>;
