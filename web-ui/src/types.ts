// The admin API's shapes (SPEC §4) as the dashboard reads them.
import type { Role } from '../../daemon/domain/types.ts';

export type { Role };

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

export type Registration = 'unregistered' | 'registered' | 'lapsed';

export interface Status {
  satellite: { id: string; name: string };
  registration: Registration;
  account: { id: string | null; name: string; domain: string | null; type: string };
  lastCloudContact: string | null;
  daysUntilLapse: number | null;
  devices: { registered: number; deregistered: number };
  reports: { total: number; unacknowledged: number };
  listeners: { device: string | null; admin: string | null };
}

export interface Account {
  name: string;
  domain: string | null;
  type: 'customer' | 'partner-holding' | 'limited-use';
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
  udi: { pid: string; sn: string };
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

export interface Token {
  id: string;
  virtualAccount: VaRef;
  description: string;
  createdAt: string;
  expiresAt: string;
  maxUses: number | null;
  uses: number;
  revoked: boolean;
}

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

export interface LicenseCount {
  entitlement: string;
  count: number;
}

export interface Reservation {
  reservationId: string;
  udi: { pid: string; sn: string };
  virtualAccount: VaRef | string;
  licenses: LicenseCount[];
  state: 'reserved' | 'returned';
  at?: string;
  createdAt?: string;
}
