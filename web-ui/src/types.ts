// The admin API's shapes (SPEC §4) as the dashboard reads them. Where the daemon already names
// a shape, it is imported (types only: nothing of the daemon reaches the bundle), so drift fails
// the type check; the rest are written from the SPEC.
import type { LicenseCount, Udi } from '../../daemon/domain/licenses/types.ts';
import type { StatusReader } from '../../daemon/domain/status.ts';
import type { TokenView } from '../../daemon/domain/tokens.ts';
import type { AccountType, RegistrationState, Role } from '../../daemon/domain/types.ts';

export type { LicenseCount, Role };

export interface VaRef {
  id: string;
  path: string;
}

export interface Page<T> {
  items: T[];
  next: string | null;
}

export interface Grant {
  role: Role;
  virtualAccount: VaRef | null;
}

export interface Me {
  id: string;
  username: string;
  roles: Grant[];
  mustChangePassword: boolean;
}

export type Registration = RegistrationState;

/** GET /api/status: what `outpost status --json` prints. */
export type Status = ReturnType<StatusReader>;

export interface Account {
  name: string;
  domain: string | null;
  type: AccountType;
  registration?: Registration;
  daysUntilLapse?: number | null;
}

export interface VirtualAccount {
  id: string;
  name: string;
  path: string;
  parentId: string | null;
  tags: Record<string, string>;
}

export interface Device {
  id: string;
  udi: Udi;
  hostname: string | null;
  virtualAccount: VaRef;
  state: 'registered' | 'deregistered';
  via: 'token' | 'policy';
  registeredAt: string;
  lastReportAt: string | null;
  keyThumbprint?: string | null;
  revoked?: boolean;
}

export interface Pool {
  virtualAccount: VaRef | null;
  entitlement: string;
  purchased: number;
  reserved: number;
  inUse: number;
  available: number;
  status: 'ok' | 'insufficient';
  flags: Array<'expiring' | 'expired'>;
}

export interface Alert {
  type: string;
  severity: 'info' | 'warning' | 'critical';
  virtualAccount: VaRef | null;
  entitlement: string | null;
  since: string;
  message: string;
}

export interface OutpostEvent {
  id: string;
  at: string;
  actor: string;
  type: string;
  virtualAccount: VaRef | null;
  details: Record<string, unknown>;
}

export type Token = TokenView;

export interface User {
  id: string;
  username: string;
  roles: Grant[];
  mustChangePassword: boolean;
  createdAt: string;
}

export interface SyncStatus {
  registration: Registration;
  mode: 'network' | 'air-gapped';
  lastAttempt: string | null;
  lastSuccess: string | null;
  nextRun: string | null;
  lastError: string | { code?: string; message?: string } | null;
  sequence: { exported: number; acknowledged: number };
}

export interface ImportResult {
  kind: string;
  sequence: number;
  inReplyTo: number | null;
  alreadyApplied: boolean;
  changes: { acknowledged: number; entitlements: number; revoked: number };
}

export interface SyncResult {
  sent: { sequence: number; records: number };
  received: { sequence: number };
  acknowledged: number;
}

export interface Transfer {
  transferId: string;
  entitlement: string;
  quantity: number;
  from: string;
  to: string;
  at: string;
  by: string;
}

export interface Reservation {
  reservationId: string;
  udi: Udi;
  virtualAccount: VaRef | string;
  licenses: LicenseCount[];
  state: 'reserved' | 'returned';
  at?: string;
  createdAt?: string;
}
