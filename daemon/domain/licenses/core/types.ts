// The data of the license core. Everything here is plain JSON (ISO strings for instants), so
// the caller can persist it as records; functions never mutate it, they return a new state.

export type LineType = 'perpetual' | 'term' | 'subscription';

/** One purchase as the cloud sends it in `entitlements.ndjson` (SPEC §5). */
export interface Line {
  lineId: string;
  sku: string;
  entitlement: string;
  description: string;
  quantity: number;
  type: LineType;
  startsAt: string;
  endsAt: string | null;
  /** The VA path the cloud named, or null. */
  virtualAccount: string | null;
}

/** A line the satellite holds: the cloud's latest fields plus where and when it first landed. */
export interface LineRecord extends Line {
  /** The VA the line landed in; quantity changes from the cloud apply there. */
  landedVaId: string;
  landedAt: string;
  /** True when it landed in Default because its `virtualAccount` was null or named no VA. */
  landedByDefault: boolean;
}

/** Quantity of one line that lives in one VA. At most one per (lineId, vaId); never 0. */
export interface Holding {
  lineId: string;
  vaId: string;
  quantity: number;
}

/** A transfer between VAs, with the line quantities it moved (so reductions can follow them). */
export interface TransferRecord {
  transferId: string;
  entitlement: string;
  quantity: number;
  /** VA ids (the export maps them to paths). */
  from: string;
  to: string;
  at: string;
  by: string;
  moved: Array<{ lineId: string; quantity: number }>;
}

export interface Udi {
  pid: string;
  sn: string;
}

/** A device's public Ed25519 key, as carried by an SLR request code. */
export interface DeviceJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
}

export interface LicenseCount {
  entitlement: string;
  count: number;
}

/** A Specific License Reservation (SPEC §8). Returned ones stay, for the export and replays. */
export interface Reservation {
  reservationId: string;
  udi: Udi;
  vaId: string;
  licenses: LicenseCount[];
  /** The request code's nonce and key: the authorization code repeats the one, returns verify against the other. */
  nonce: string;
  jwk: DeviceJwk;
  state: 'reserved' | 'returned';
  at: string;
  returnedAt: string | null;
}

/**
 * The whole license state of a satellite. `lines` sorted by lineId, `holdings` by (lineId,
 * vaId); `transfers` and `reservations` in the order they happened.
 */
export interface LicenseState {
  lines: LineRecord[];
  holdings: Holding[];
  transfers: TransferRecord[];
  reservations: Reservation[];
}

/** A holding joined with its line's entitlement and dates: what pools are computed from. */
export interface HoldingView {
  lineId: string;
  vaId: string;
  entitlement: string;
  /** 0 in a change means the holding is gone. */
  quantity: number;
  startsAt: string;
  endsAt: string | null;
}

/** What happened, for the event log; the caller adds id, time and actor. */
export interface LicenseEvent {
  type:
    | 'license.line_added'
    | 'license.line_changed'
    | 'license.line_removed'
    | 'license.transferred'
    | 'license.reserved'
    | 'license.reservation_returned';
  vaId: string | null;
  details: Record<string, unknown>;
}

/** A line that landed in Default because its VA was null or unknown (an alert while it stays there). */
export interface UnknownVaNote {
  type: 'unknown-virtual-account';
  lineId: string;
  entitlement: string;
  /** The path the cloud named, or null when it named none. */
  path: string | null;
  /** Default's id. */
  vaId: string;
  since: string;
}

/** The result of every state-changing function. */
export interface LicenseResult {
  state: LicenseState;
  /** The holdings whose view changed, as they are now (quantity 0: gone); feed to PoolIndex.applyChanges. */
  changes: HoldingView[];
  events: LicenseEvent[];
}

export type PoolFlag = 'expiring' | 'expired';

/** The SPEC §4 pool with the VA as an id (null for the account-wide sum); the caller adds the path. */
export interface PoolView {
  vaId: string | null;
  entitlement: string;
  purchased: number;
  reserved: number;
  inUse: number;
  available: number;
  status: 'ok' | 'insufficient';
  flags: PoolFlag[];
}

/** How a pure function asks the caller for a pool's availability (e.g. `(va, e) => index.pool(va, e, at)`). */
export type PoolOf = (vaId: string, entitlement: string) => Pick<PoolView, 'available'>;
