// What the collector keeps (SPEC §9): targets, collected RUM reports, acknowledgement queue entries.
import type { ReportUsage } from './reports.ts';

export interface TargetTlsRecord {
  verify: boolean;
  ca: string | null;
  pin: string | null;
}

export interface PollResult {
  at: string;
  ok: boolean;
  reports: number;
  error: null | { code: string; message: string };
}

export interface TargetRecord {
  id: string;
  /** Normalised `https://host[:port]`. */
  address: string;
  host: string;
  port: number;
  username: string;
  /** The password sealed under secrets.key (never the password itself). */
  password: string;
  vaId: string;
  tls: TargetTlsRecord;
  createdAt: string;
  lastPoll: PollResult | null;
  /** Failed polls in a row (a COLLECTOR_UDI_TAKEN poll is not a failure). */
  failures: number;
  /** Reports collected from it so far. */
  collected: number;
  acks: { pending: number; delivered: number; lastError: string | null };
}

export interface RumStored {
  udi: { pid: string; sn: string };
  reportId: string;
  targetId: string;
  deviceId: string;
  vaId: string;
  /** SHA-256 of the payload string: the same id with other bytes is a conflict. */
  digest: string;
  /** The report object as collected (JSON text); dropped once pruned. */
  report: string | null;
  collectedAt: string;
  usage: ReportUsage | null;
  /** Its `crq!` sequence while the cloud has not received it, else null. */
  queueSeq: number | null;
  acknowledged: boolean;
  /** When it was acknowledged (retention counts `retention.acknowledgedDays` from here). */
  acknowledgedAt?: string | null;
  /** Set on the tombstone retention leaves (retention.ts): the report object is gone, its (UDI, id) stays. */
  prunedAt?: string;
  /** The digest of the last conflicting copy an event was written for (one event per new copy). */
  conflictDigest?: string;
}

export interface AckEntry {
  seq: number;
  targetId: string;
  udi: { pid: string; sn: string };
  reportIds: string[];
  /** The acknowledgement document (XML text). */
  document: string;
  queuedAt: string;
  deliveredAt: string | null;
  attempts: number;
  lastError: string | null;
}

/** A RUM file export (`outpost rum export`): which reports (their `crum!` keys) it carried. */
export interface RumExportRecord {
  n: number;
  at: string;
  reports: Array<{ key: string; targetId: string; udi: { pid: string; sn: string }; reportId: string }>;
}
