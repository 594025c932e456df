// Alerts (SPEC §7) from every part of the satellite: each part is a source answering its
// standing alerts at `now`; the list, the API and the metrics read them all the same way.
import type { State } from '../satellite/state.ts';

export type Severity = 'info' | 'warning' | 'critical';

/** An alert with its VA as an id; `alertView` adds the path. */
export interface Alert {
  type: string;
  severity: Severity;
  vaId: string | null;
  entitlement: string | null;
  /** What the alert is about beyond VA and entitlement (SPEC §7): a report, a target, a channel. */
  subject?: AlertSubject | null;
  since: string;
  message: string;
}

export interface AlertSubject {
  kind: string;
  id: string;
}

export type AlertSource = (now: Date) => Alert[];

export interface AlertView {
  type: string;
  severity: Severity;
  virtualAccount: { id: string; path: string } | null;
  entitlement: string | null;
  subject?: AlertSubject | null;
  since: string;
  message: string;
}

const RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

/** Every source's alerts, most severe first, then by type, VA and entitlement. */
export function collectAlerts(sources: readonly AlertSource[], now: Date): Alert[] {
  return sources
    .flatMap((s) => s(now))
    .sort(
      (a, b) =>
        RANK[a.severity] - RANK[b.severity] ||
        cmp(a.type, b.type) ||
        cmp(a.vaId ?? '', b.vaId ?? '') ||
        cmp(a.entitlement ?? '', b.entitlement ?? '') ||
        cmp(subjectKey(a), subjectKey(b)) ||
        cmp(a.message, b.message),
    );
}

export function alertView(state: State, a: Alert): AlertView {
  return {
    type: a.type,
    severity: a.severity,
    virtualAccount: a.vaId === null ? null : state.vaRef(a.vaId),
    entitlement: a.entitlement,
    since: a.since,
    message: a.message,
    subject: a.subject ?? null,
  };
}

/** A stable key for paging: the sort order of `collectAlerts`, as text. */
export const alertKey = (a: Alert): string =>
  [RANK[a.severity], a.type, a.vaId ?? '', a.entitlement ?? '', subjectKey(a), a.message].join('\u0000');

const subjectKey = (a: Alert): string => (a.subject ? `${a.subject.kind}:${a.subject.id}` : '');

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
