// The key layout, in one place. Every key is `<kind>!<id…>`; ids sort as their comments say.

const SEP = '!';
/** Fixed-width decimal, so numeric sequences sort as strings. */
export const seqKey = (n: number): string => n.toString().padStart(16, '0');

export const keys = {
  /** The store's format number (store/format.ts); absent in stores written by release 0.1.0 (format 1). */
  format: 'meta!format',
  /** The satellite's identity and registration state. */
  satellite: 'meta!satellite',
  account: 'meta!account',
  /** Reports stored and not yet acknowledged, counted as they change. */
  reportCounts: 'meta!reports',
  /** How many devices registered themselves in policy mode (for device.policyMode.maxDevices). */
  policyDeviceCount: 'meta!policy-devices',
  /** The exchange's bookkeeping: newest cloud bundle applied, satellite report acknowledged, pending registration. */
  exchange: 'meta!exchange',
  /** Network sync attempts: last attempt, success, error, failures in a row. */
  syncStatus: 'meta!sync',
  /** The recent exchanges with the cloud, newest last, bounded (sync-history). */
  syncHistory: 'meta!sync-history',
  /** The entitlement snapshot as the default sink keeps it (the license workspace replaces the sink). */
  entitlements: 'meta!entitlements',
  /** How far retention pruning has gone: acknowledged reports and events up to these sequences are gone. */
  retention: 'meta!retention',
  /** Counters that must never repeat (`meta!seq!<name>`). */
  seq: (name: string) => `meta!seq!${name}`,

  va: (id: string) => `va${SEP}${id}`,
  vaPrefix: `va${SEP}`,

  /** A tag key VAs may use (`/api/tags`). */
  tagKey: (key: string) => `tagk${SEP}${key}`,
  tagKeyPrefix: `tagk${SEP}`,

  token: (id: string) => `tok${SEP}${id}`,
  tokenPrefix: `tok${SEP}`,
  /** Secret hash → token id. */
  tokenHash: (hash: string) => `tokh${SEP}${hash}`,

  /** API tokens (SPEC §11) by id, and the secret's SHA-256 → token id. */
  apiToken: (id: string) => `atok${SEP}${id}`,
  apiTokenPrefix: `atok${SEP}`,
  apiTokenHash: (hash: string) => `atokh${SEP}${hash}`,

  /** Admin sessions by the SHA-256 of their id (SPEC §11: a restart logs no one out). */
  session: (hash: string) => `sess${SEP}${hash}`,
  sessionPrefix: `sess${SEP}`,

  /** A user from a directory or an OpenID provider: `ldap`, NUL, lower-cased username, or `oidc`, NUL, iss, NUL, sub → user id. */
  externalUser: (source: 'ldap' | 'oidc', ...parts: string[]) => `xusr${SEP}${source}\u0000${parts.join('\u0000')}`,

  user: (id: string) => `user${SEP}${id}`,
  userPrefix: `user${SEP}`,
  /** Lower-cased username → user id: usernames are unique regardless of case. */
  username: (lower: string) => `uname${SEP}${lower}`,

  device: (id: string) => `dev${SEP}${id}`,
  devicePrefix: `dev${SEP}`,
  /** `pid`, NUL, `sn` → device id. */
  udi: (pid: string, sn: string) => `udi${SEP}${pid}\u0000${sn}`,
  /** A device's latest usage: the report with the greatest window end. */
  latestUsage: (deviceId: string) => `dlu${SEP}${deviceId}`,
  latestUsagePrefix: `dlu${SEP}`,
  /**
   * The device list's indexes (domain/devices/device-index.ts), kept in the batch of every device
   * change: `dx!<sort>!<scope>!<state><via>!<sortKey>` NUL `<id>`, where sort is `i` (id), `l`
   * (last report), `h` (hostname) or `r` (registered), scope a VA id or `*` (every VA), state `r`
   * or `d`, via `t`, `p` or `c`. The value is `[hostname, pid, sn, registeredAt]`.
   */
  deviceIndexPrefix: (sort: string, scope: string, part: string) => `dx${SEP}${sort}${SEP}${scope}${SEP}${part}${SEP}`,
  deviceIndexAll: `dx${SEP}`,
  /** How many devices a VA has in each state and via (`<state><via>` as above) → count. */
  deviceCount: (vaId: string, part: string) => `dcn${SEP}${vaId}${SEP}${part}`,
  deviceCountPrefix: `dcn${SEP}`,
  /** The device indexes' format; absent or another number: they are rebuilt. */
  deviceIndexFormat: 'meta!device-index',

  /** A stored report by its id. */
  report: (reportId: string) => `rep${SEP}${reportId}`,
  reportPrefix: `rep${SEP}`,
  /**
   * Reports not yet acknowledged, in the order they arrived: each holds the report as a
   * satellite report carries it (a QueuedReport), so an export is one sequential read. Entries
   * at or below the acknowledged watermark (the last `ackr!`) are dead and removed soon after.
   */
  unacked: (seq: number) => `rpq${SEP}${seqKey(seq)}`,
  unackedPrefix: `rpq${SEP}`,
  /** A device's reports by arrival sequence → reportId; those at or below the watermark are its acks. */
  deviceReport: (deviceId: string, seq: number) => `drp${SEP}${deviceId}${SEP}${seqKey(seq)}`,
  deviceReportPrefix: (deviceId: string) => `drp${SEP}${deviceId}${SEP}`,
  /** Acknowledged ranges of arrival sequences, by their upper end: which report carried them, and when. */
  ackRange: (upTo: number) => `ackr${SEP}${seqKey(upTo)}`,
  ackRangePrefix: `ackr${SEP}`,

  /**
   * Reports set aside by an export because the bundle schema refuses them (stored before the
   * device API checked as strictly): out of the queue, kept for an admin to see and remove.
   */
  quarantined: (reportId: string) => `qrn${SEP}${reportId}`,
  quarantinedPrefix: `qrn${SEP}`,

  /** Device changes (devices.ndjson records) not yet acknowledged by the cloud, in the order made. */
  deviceChange: (seq: number) => `djq${SEP}${seqKey(seq)}`,
  deviceChangePrefix: `djq${SEP}`,
  /** Each satellite report exported: its sequence and how far into each queue it reached. */
  exported: (sequence: number) => `exp${SEP}${seqKey(sequence)}`,
  exportedPrefix: `exp${SEP}`,
  /** Each cloud bundle applied, by the cloud's sequence. */
  applied: (sequence: number) => `capp${SEP}${seqKey(sequence)}`,
  appliedPrefix: `capp${SEP}`,

  /**
   * The license state (SPEC §5, §6, §8), one record per line, holding, transfer and reservation.
   * `licenseRev` counts its changes: a transaction reads it to find the state it builds on.
   */
  licenseRev: 'lic!rev',
  line: (lineId: string) => `lic!line${SEP}${lineId}`,
  linePrefix: `lic!line${SEP}`,
  /** lineId, NUL, VA id. */
  holding: (lineId: string, vaId: string) => `lic!hold${SEP}${lineId}\u0000${vaId}`,
  holdingPrefix: `lic!hold${SEP}`,
  /** Transfers and reservations in the order they happened (their own sequences). */
  transfer: (seq: number) => `lic!tr${SEP}${seqKey(seq)}`,
  transferPrefix: `lic!tr${SEP}`,
  reservation: (seq: number) => `lic!rsv${SEP}${seqKey(seq)}`,
  reservationPrefix: `lic!rsv${SEP}`,
  /**
   * License alerts standing at the last daily check of versions before the one-minute check;
   * read once and removed by jobs/alert-check.ts, which keeps every alert under `standingAlerts`.
   */
  licenseAlerts: 'lic!alerts',
  /** Transfer and reservation records not yet acknowledged by the cloud, in the order written. */
  transferOutbox: (seq: number) => `out!tr${SEP}${seqKey(seq)}`,
  transferOutboxPrefix: `out!tr${SEP}`,
  reservationOutbox: (seq: number) => `out!rsv${SEP}${seqKey(seq)}`,
  reservationOutboxPrefix: `out!rsv${SEP}`,

  /** Every alert standing at the last check, with its `since` (jobs/alert-check.ts). */
  standingAlerts: 'meta!alerts',
  /** The high-water mark of time and the clock-suspect state (domain/satellite/time-mark.ts). */
  clockMark: 'meta!clock',
  /** Notification deliveries (SPEC §10), in the order queued: every one, whatever its state. */
  delivery: (seq: number) => `ntf${SEP}${seqKey(seq)}`,
  deliveryPrefix: `ntf${SEP}`,
  /** `{ through }`: every delivery with a sequence up to here was pruned (domain/notify/prune.ts). */
  deliveriesPruned: 'meta!ntf-pruned',
  /** The deliveries still pending, so start-up reads only those (the value is unused). */
  pendingDelivery: (seq: number) => `ntfp${SEP}${seqKey(seq)}`,
  pendingDeliveryPrefix: `ntfp${SEP}`,
  /** A day's sample of every VA's pools, for usage over time (licenses/history). */
  usageSample: (day: string) => `uhs${SEP}${day}`,
  usageSamplePrefix: `uhs${SEP}`,
  /** Collector targets (SPEC §9) by id, and their normalised address → id (addresses are unique). */
  target: (id: string) => `ctgt${SEP}${id}`,
  targetPrefix: `ctgt${SEP}`,
  targetAddress: (address: string) => `ctad${SEP}${address}`,
  /** A collected RUM report by the product's UDI and its report id (digits); a pruned one leaves a tombstone. */
  rum: (pid: string, sn: string, reportId: string) => `crum${SEP}${pid}\u0000${sn}\u0000${reportId}`,
  rumPrefix: `crum${SEP}`,
  /** RUM reports the cloud has not yet received, in the order collected → the `crum!` key. */
  rumQueue: (seq: number) => `crq${SEP}${seqKey(seq)}`,
  rumQueuePrefix: `crq${SEP}`,
  /** Which RUM reports satellite report `sequence` carried (their `crq!` sequences). */
  rumCarried: (sequence: number) => `crx${SEP}${seqKey(sequence)}`,
  /** A collected device's latest usage per entitlement tag. */
  rumUsage: (deviceId: string) => `cdu${SEP}${deviceId}`,
  /** Acknowledgement documents queued for a target's product, in the order queued. */
  rumAck: (targetId: string, seq: number) => `cack${SEP}${targetId}${SEP}${seqKey(seq)}`,
  rumAckPrefix: (targetId: string) => `cack${SEP}${targetId}${SEP}`,
  /** Every target's queued acknowledgements (retention walks them). */
  rumAcksPrefix: `cack${SEP}`,
  /** The RUM file exports (`outpost rum export`), by their own sequence: which reports each carried. */
  rumExport: (n: number) => `crex${SEP}${seqKey(n)}`,
  rumExportPrefix: `crex${SEP}`,
  /**
   * Acknowledged RUM reports retention has not yet pruned, by the instant acknowledged (ISO, so
   * they sort by time) → the `crum!` key: retention reads the oldest first and stops at the cutoff.
   */
  rumAcked: (at: string, rumKey: string) => `crak${SEP}${at}${SEP}${rumKey}`,
  rumAckedPrefix: `crak${SEP}`,

  /** The audit log, in the order written. */
  event: (seq: number) => `evt${SEP}${seqKey(seq)}`,
  eventPrefix: `evt${SEP}`,
} as const;
