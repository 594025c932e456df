// The records the satellite keeps, as stored (JSON) and as held in memory.

export type AccountType = 'customer' | 'partner-holding' | 'limited-use';
export type RegistrationState = 'unregistered' | 'registered' | 'lapsed';

export interface SatelliteRecord {
  id: string;
  name: string;
  createdAt: string;
  registration: RegistrationState;
  /** Signed `createdAt` of the newest cloud response applied; null before registration. */
  lastCloudContact: string | null;
  cloudAccountId: string | null;
  policy: { reportIntervalHours: number };
}

export interface AccountRecord {
  name: string;
  domain: string | null;
  type: AccountType;
}

export interface VirtualAccount {
  id: string;
  name: string;
  parentId: string | null;
  tags: Record<string, string>;
  createdAt: string;
}

/** A tag key VAs may use; an sa-admin defines them. */
export interface TagKeyRecord {
  key: string;
  createdAt: string;
}

export interface TokenRecord {
  id: string;
  vaId: string;
  description: string;
  /** SHA-256 of the secret; the secret itself is never stored. */
  hash: string;
  createdAt: string;
  createdBy: string;
  expiresAt: string;
  maxUses: number | null;
  uses: number;
  revoked: boolean;
}

export type DeviceState = 'registered' | 'deregistered';

export interface DeviceRecord {
  id: string;
  udi: { pid: string; sn: string };
  hostname: string | null;
  vaId: string;
  state: DeviceState;
  via: 'token' | 'policy' | 'collector';
  registeredAt: string;
  /** Id of the device's latest credential; an older credential no longer verifies. */
  credentialId: string | null;
  revoked: boolean;
  keyThumbprint?: string | null;
  /** The collector target that took this UDI (SPEC §9), for `via: "collector"`. */
  target?: string;
}

/** A device's latest usage (greatest window end) and when it last reported. */
export interface LatestUsage {
  reportId: string;
  windowEnd: string;
  usage: Record<string, number>;
  lastReportAt: string;
}

/**
 * What the satellite keeps of every report it took, by report id, to answer a repeat: a
 * duplicate (same digest, same device) or a conflict. The report itself travels in the
 * not-yet-acknowledged queue (`QueuedReport`), so it is written once, not twice.
 */
export interface StoredReport {
  reportId: string;
  deviceId: string;
  receivedAt: string;
  /** SHA-256 of the body's canonical JSON: the same id with another body is a conflict. */
  digest: string;
  /** Its place in the queue; when and by which bundle it was acknowledged follows from the acknowledged ranges (acks.ts). */
  seq: number;
}

/** A report waiting in the `rpq!` queue: what a satellite report's usage.ndjson needs (VA by id). */
export interface QueuedReport {
  reportId: string;
  deviceId: string;
  vaId: string;
  window: { start: string; end: string };
  usage: Array<{ entitlement: string; count: number }>;
  receivedAt: string;
}

export interface RoleGrant {
  role: Role;
  vaId: string | null;
}

export type Role = 'sa-admin' | 'sa-approver' | 'sa-user' | 'va-admin' | 'va-user' | 'viewer';

export interface UserRecord {
  id: string;
  username: string;
  roles: RoleGrant[];
  /** scrypt$N$r$p$salt$hash */
  passwordHash: string;
  mustChangePassword: boolean;
  createdAt: string;
}

export interface EventRecord {
  id: string;
  at: string;
  actor: string;
  type: string;
  vaId: string | null;
  details: Record<string, unknown>;
}
