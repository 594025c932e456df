// The pages, in navigation order, with the action that makes each one visible.
import type { PageDef } from './page.ts';
import { renderApiTokens } from './pages/api-tokens.ts';
import { renderDevice } from './pages/device.ts';
import { renderCollector } from './pages/collector.ts';
import { renderDevices } from './pages/devices.ts';
import { renderEvents } from './pages/events.ts';
import { renderLicenses } from './pages/licenses.ts';
import { renderNotifications } from './pages/notifications.ts';
import { renderOverview } from './pages/overview.ts';
import { renderReports } from './pages/reports.ts';
import { renderReservations } from './pages/reservations.ts';
import { renderSync } from './pages/sync.ts';
import { renderTokens } from './pages/tokens.ts';
import { renderUsers } from './pages/users.ts';
import { renderVirtualAccounts } from './pages/virtual-accounts.ts';

export const PAGES: PageDef[] = [
  { path: 'overview', title: 'Overview', needs: 'account.read', render: renderOverview },
  { path: 'licenses', title: 'Licenses', needs: 'license.read', render: renderLicenses },
  { path: 'virtual-accounts', title: 'Virtual accounts', needs: 'va.read', render: renderVirtualAccounts },
  { path: 'devices', title: 'Devices', needs: 'license.read', render: renderDevices },
  { path: 'device', title: 'Device', needs: 'license.read', under: 'devices', render: renderDevice },
  { path: 'tokens', title: 'Tokens', needs: 'license.read', render: renderTokens },
  { path: 'cisco-products', title: 'Cisco products', needs: 'license.read', render: renderCollector },
  { path: 'reservations', title: 'Reservations', needs: 'license.read', render: renderReservations },
  { path: 'reports', title: 'Reports', needs: 'license.read', render: renderReports },
  { path: 'sync', title: 'Sync', needs: 'sync.read', render: renderSync },
  { path: 'users', title: 'Users and roles', needs: 'users.read', render: renderUsers },
  { path: 'events', title: 'Event log', needs: 'events.read', render: renderEvents },
  { path: 'api-tokens', title: 'API tokens', needs: 'account.read', render: renderApiTokens },
  { path: 'notifications', title: 'Notifications', needs: 'account.read', render: renderNotifications },
];
