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
  /** A lapse under way (domain/satellite/lapse.ts): its devices are deregistered in chunks, this many so far. */
  lapsing?: { since: string; deregistered: number };
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

/** Where a user comes from (SPEC §11): made here, or created at first login from a directory or an OpenID provider. */
export type UserSource = 'local' | 'ldap' | 'oidc';

export interface UserRecord {
  id: string;
  username: string;
  roles: RoleGrant[];
  /** Absent on records written before users from elsewhere existed: local. */
  source?: UserSource;
  /** For an SSO user, the (issuer, subject) that identifies it; for a directory user, its entry's DN at the last login. */
  externalId?: { iss: string; sub: string } | { dn: string };
  /** scrypt$N$r$p$salt$hash */
  passwordHash: string;
  mustChangePassword: boolean;
  createdAt: string;
  /** One address for notifications (SPEC §10); absent in records written before it existed. */
  email?: string | null;
  notifications?: { alerts: 'off' | 'critical' | 'warning' | 'info'; summary: boolean };
}

export interface EventRecord {
  id: string;
  at: string;
  actor: string;
  type: string;
  vaId: string | null;
  details: Record<string, unknown>;
}

/** An API token (SPEC §11): its secret is stored only as its SHA-256. */
export interface ApiTokenRecord {
  id: string;
  name: string;
  hash: string;
  roles: RoleGrant[];
  /** The creating user's id: the token never does more than that user may do now. */
  userId: string;
  createdAt: string;
  expiresAt: string;
  lastUsedAt: string | null;
}
