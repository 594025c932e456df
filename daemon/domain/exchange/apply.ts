// Applying a verified cloud bundle (SPEC §5): the satellite-side refusals first (kind,
// satellite, already applied, never asked for, stale), then everything the bundle changes in
// ONE write transaction — acknowledgements, the entitlement snapshot, revocations, profile,
// policy and the last cloud contact — so a crash leaves all of it or none.
import { cloudBundleOrder, expectKind, expectSatellite } from '../../../exchange/bundle/checks.ts';
import { BundleError } from '../../../exchange/bundle/errors.ts';
import type { EntitlementRecord, RevocationRecord, RumAckRecord } from '../../../exchange/bundle/records.ts';
import type { VerifiedBundle } from '../../../exchange/bundle/read.ts';
import type { Tx } from '../../store/index.ts';
import { keys } from '../../store/index.ts';
import type { Actor, DomainContext } from '../satellite/context.ts';
import { journalDeviceChange } from '../devices/device-journal.ts';
import { stageDevice } from '../devices/device-index.ts';
import { recordEvent } from '../satellite/events.ts';
import type { ReportCounts } from '../satellite/state.ts';
import type { AckLedger, AckRange } from '../reports/acks.ts';
import type { AccountRecord, DeviceRecord, SatelliteRecord } from '../satellite/records.ts';
import type { AppliedRecord, ExchangeBook, ExchangeRecord, ExportRecord, ImportChanges } from './book.ts';
import type { EntitlementSink, ExportSources } from './ports.ts';

export type CloudKind = 'registration-response' | 'cloud-response';

export interface ImportResult {
  kind: CloudKind;
  sequence: number;
  inReplyTo: number;
  alreadyApplied: boolean;
  changes: ImportChanges;
}

export interface ApplyDeps {
  book: ExchangeBook;
  ledger: AckLedger;
  sink: EntitlementSink;
  sources: ExportSources;
}

const NO_CHANGES: ImportChanges = { acknowledged: 0, entitlements: 0, revoked: 0 };

/** Applies `bundle` (already verified against the cloud's keys) once, or says it was applied before. */
export async function applyCloudBundle(
  ctx: DomainContext,
  deps: ApplyDeps,
  bundle: VerifiedBundle,
  actor: Actor,
  opts: { kinds?: CloudKind[] } = {},
): Promise<ImportResult> {
  const { state, identity } = ctx;
  const m = expectKind(bundle.manifest, opts.kinds ?? ['registration-response', 'cloud-response']);
  // A registration response may bring a new account (the token proves it); a cloud response
  // must be for the account this satellite is registered to.
  expectSatellite(m, identity.id, m.kind === 'cloud-response' ? state.satellite.cloudAccountId : null);
  const result = (alreadyApplied: boolean, changes: ImportChanges): ImportResult => ({
    kind: m.kind,
    sequence: m.sequence,
    inReplyTo: m.inReplyTo,
    alreadyApplied,
    changes,
  });
  if (await ctx.store.get(keys.applied(m.sequence))) return result(true, { ...NO_CHANGES });

  let exported: ExportRecord | undefined;
  if (m.kind === 'cloud-response') {
    exported = await ctx.store.get<ExportRecord>(keys.exported(m.inReplyTo));
    if (!exported?.carried) {
      throw new BundleError('BUNDLE_UNEXPECTED', `The response answers report ${m.inReplyTo}, which this satellite never exported.`);
    }
  } else if (deps.book.exchange.registrationRequestedAt === null) {
    throw new BundleError('BUNDLE_UNEXPECTED', 'The bundle is a registration response, but this satellite has no registration request waiting for one.');
  }
  cloudBundleOrder(m.sequence, { isApplied: () => false, newestApplied: deps.book.exchange.newestApplied });

  // The second pass over the verified files; nothing is written until both are read whole.
  const lines: EntitlementRecord[] = await bundle.readAll('entitlements.ndjson');
  const revocations: RevocationRecord[] = m.kind === 'cloud-response' ? await bundle.readAll('revocations.ndjson') : [];
  const rumAcks: RumAckRecord[] = m.kind === 'cloud-response' ? await bundle.readAll('rum-acks.ndjson') : [];
  // The device changes the answered report carried, read before the transaction so the writer
  // is held only for the write. Under the exchange lock nothing else removes them.
  const deviceChanges = exported?.carried?.devices != null ? await collectKeys(ctx, keys.deviceChangePrefix, keys.deviceChange(exported.carried.devices)) : [];

  const now = ctx.clock();
  const nowIso = now.toISOString();
  return ctx.writer.run(async (tx) => {
    if (await tx.get(keys.applied(m.sequence))) return result(true, { ...NO_CHANGES });
    const changes: ImportChanges = { acknowledged: 0, entitlements: lines.length, revoked: 0 };

    let range: AckRange | null = null;
    if (exported?.carried) {
      const { carried } = exported;
      range = acknowledgedRange(deps.ledger, exported, nowIso);
      if (range) {
        deps.ledger.stage(tx, range);
        changes.acknowledged = range.count;
      }
      for (const key of deviceChanges) tx.del(key);
      if (carried.transfers !== null) await deps.sources.transfers.acknowledge(tx, carried.transfers);
      if (carried.reservations !== null) await deps.sources.reservations.acknowledge(tx, carried.reservations);
      if (carried.rum != null) await deps.sources.rum?.acknowledge(tx, carried.rum);
    }
    if (rumAcks.length > 0 && deps.sources.rum) await deps.sources.rum.acknowledgeRum(tx, rumAcks, now);
    const before = (await tx.get<ReportCounts>(keys.reportCounts)) ?? { total: 0, unacknowledged: 0 };
    const counts: ReportCounts = { total: before.total, unacknowledged: Math.max(0, before.unacknowledged - changes.acknowledged) };
    if (changes.acknowledged > 0) tx.put(keys.reportCounts, counts);

    try {
      await deps.sink.stage(tx, lines, now, 'cloud');
    } catch (err) {
      if ((err as { code?: unknown }).code === 'INVALID_REQUEST') {
        throw new BundleError('BUNDLE_RECORD_INVALID', `The entitlement snapshot cannot be applied: ${(err as Error).message}`, { cause: err });
      }
      throw err;
    }

    const revoked = await revoke(ctx, tx, revocations, now);
    changes.revoked = revoked.filter((r) => r.wasRegistered).length;

    const previous = state.satellite;
    const satellite: SatelliteRecord = {
      ...previous,
      cloudAccountId: m.account,
      policy: { reportIntervalHours: m.policy.reportIntervalHours },
      lastCloudContact: cloudContact(previous.lastCloudContact, m.createdAt, now),
      registration: m.kind === 'registration-response' ? 'registered' : previous.registration,
    };
    tx.put(keys.satellite, satellite);
    const profile = m.profile;
    const account: AccountRecord | null = profile ? { name: profile.name, domain: profile.domain, type: profile.type } : null;
    if (account) tx.put(keys.account, account);

    const exchange: ExchangeRecord = {
      ...deps.book.exchange,
      newestApplied: Math.max(m.sequence, deps.book.exchange.newestApplied ?? 0),
      acknowledged: exported ? Math.max(exported.sequence, deps.book.exchange.acknowledged ?? 0) : deps.book.exchange.acknowledged,
      registrationRequestedAt: m.kind === 'registration-response' ? null : deps.book.exchange.registrationRequestedAt,
    };
    tx.put(keys.exchange, exchange);
    const applied: AppliedRecord = { sequence: m.sequence, kind: m.kind, inReplyTo: m.inReplyTo, createdAt: m.createdAt, appliedAt: nowIso, changes };
    tx.put(keys.applied(m.sequence), applied);

    if (m.kind === 'registration-response') {
      recordEvent(tx, ctx, now, {
        actor,
        type: 'satellite.registered',
        vaId: null,
        details: { account: m.account, profile: m.profile, previously: previous.registration, sequence: m.sequence },
      });
    }
    recordEvent(tx, ctx, now, {
      actor,
      type: 'exchange.applied',
      vaId: null,
      details: { kind: m.kind, sequence: m.sequence, inReplyTo: m.inReplyTo, createdAt: m.createdAt, changes },
    });

    tx.after(() => {
      state.setSatellite(satellite);
      if (account) state.setAccount(account);
      if (changes.acknowledged > 0) state.setReportCounts(counts);
      deps.book.exchange = exchange;
      if (rumAcks.length > 0) deps.sources.rum?.afterImport();
    });
    return result(false, changes);
  });
}

/** SPEC §5: the signed `createdAt`, never later than now, never earlier than the contact before. */
export function cloudContact(previous: string | null, signed: string, now: Date): string {
  let at = Math.min(Date.parse(signed), now.getTime());
  if (previous !== null) at = Math.max(at, Date.parse(previous));
  return new Date(at).toISOString();
}

/**
 * The range a response to `exported` acknowledges: from the watermark up to the last report it
 * carried, or null when a later response already went past that. How many reports it holds
 * needs no scan: the report carried `records` reports above the watermark it was cut at; the
 * ranges applied since (all above that mark, all inside what it carried) took some of them.
 */
function acknowledgedRange(ledger: AckLedger, exported: ExportRecord, acknowledgedAt: string): AckRange | null {
  const upTo = exported.carried?.usage ?? null;
  const from = ledger.watermark;
  if (upTo === null || upTo <= from) return null;
  const carried = exported.records?.['usage.ndjson'] ?? 0;
  const since = ledger.ranges.filter((r) => r.from >= exported.bounds.usageFrom).reduce((n, r) => n + r.count, 0);
  return { from, upTo, count: Math.max(0, carried - since), bundleSequence: exported.sequence, acknowledgedAt };
}

async function collectKeys(ctx: DomainContext, prefix: string, last: string): Promise<string[]> {
  const out: string[] = [];
  for await (const [key] of ctx.store.iterate({ gte: prefix, lte: last })) out.push(key);
  return out;
}

/** Deregisters and marks revoked each device the cloud refuses; unknown ids are ignored. */
async function revoke(ctx: DomainContext, tx: Tx, revocations: RevocationRecord[], now: Date) {
  const out: Array<{ device: DeviceRecord; wasRegistered: boolean }> = [];
  const seen = new Set<string>();
  for (const r of revocations) {
    if (seen.has(r.deviceId)) continue;
    seen.add(r.deviceId);
    const d = await tx.get<DeviceRecord>(keys.device(r.deviceId));
    if (!d || (d.revoked && d.state === 'deregistered')) continue;
    const device: DeviceRecord = { ...d, state: 'deregistered', revoked: true };
    await stageDevice(tx, ctx.state, d, device);
    if (d.state === 'registered') journalDeviceChange(tx, ctx.seq, ctx.state, device, now);
    recordEvent(tx, ctx, now, {
      actor: 'cloud',
      type: 'device.revoked',
      vaId: d.vaId,
      details: { deviceId: d.id, udi: d.udi, reason: r.reason },
    });
    out.push({ device, wasRegistered: d.state === 'registered' });
  }
  return out;
}
