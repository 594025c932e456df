// The license workspace wired to the store: entitlement snapshots from the cloud, transfers,
// Specific License Reservation, pools and license alerts. The pure core (../licenses) decides;
// this module runs each change as one writer transaction (records, event, export queue
// together) and keeps the pool index following devices, usage and licenses.
import { z } from 'zod';
import { OutpostError } from '../../../errors.ts';
import {
  LicenseError,
  applySnapshot,
  computeAlerts,
  holdingViews,
  landingNotes,
  parseRequestCode,
  peekReturnCode,
  reserve,
  returnReservation,
  signAuthorizationCode,
  sumPools,
  transfer,
  vaHasLicenses,
  forgetVirtualAccount,
  verifyReturnCode,
  type LicenseAlert,
  type LicenseEvent,
  type PoolView,
  type Reservation,
} from '../core/index.ts';
import { keys, seqKey, type Tx } from '../../../store/index.ts';
import type { EntitlementSink, ExportSource, ExportSources, Pending } from '../../exchange/ports.ts';
import type { Alert } from '../../alerts/alerts.ts';
import type { Actor, DomainContext } from '../../satellite/context.ts';
import { recordEvent } from '../../satellite/events.ts';
import { newId } from '../../satellite/ids.ts';
import type { DeviceRecord } from '../../satellite/records.ts';
import { parseBody, text } from '../../satellite/validate.ts';
import { LicenseBook } from './book.ts';
import { createOutbox, type TransferExport } from './outbox.ts';
import { PoolCounts, countedIn } from './pool-counts.ts';
import { loadLicenseRecords } from './records.ts';

export { countedIn };

export interface ChangeOptions {
  /** Who changes it: a username, `cloud`, `system` or `local`. */
  actor: Actor;
  /** Defaults to the satellite's clock. */
  now?: Date;
}

/** What a snapshot changed. `entitlements` counts the lines in it (the CLI's import JSON). */
export interface SnapshotSummary {
  entitlements: number;
  added: number;
  changed: number;
  removed: number;
  /** Lines that landed in Default now because their VA was null or unknown. */
  landedInDefault: number;
}

/** A SPEC §4 pool as the API answers it: the VA with its path. */
export type PoolJson = Omit<PoolView, 'vaId'> & { virtualAccount: { id: string; path: string } | null };

export interface ReservationJson {
  reservationId: string;
  udi: { pid: string; sn: string };
  virtualAccount: { id: string; path: string };
  licenses: Array<{ entitlement: string; count: number }>;
  state: 'reserved' | 'returned';
  at: string;
  returnedAt: string | null;
}

const vaName = z.string().min(1).max(1024);

const transferBody = z.strictObject({
  entitlement: text(1, 128),
  quantity: z.number({ error: 'must be a positive whole number' }).int('must be a positive whole number').min(1, 'must be a positive whole number'),
  from: vaName,
  to: vaName,
});

const reserveBody = z.strictObject({
  requestCode: z.string().min(1).max(8192),
  virtualAccount: vaName,
  licenses: z
    .array(
      z.strictObject({
        entitlement: text(1, 128),
        count: z.number({ error: 'must be a positive whole number' }).int('must be a positive whole number').min(1, 'must be a positive whole number'),
      }),
    )
    .min(1, 'expected 1 to 100 entries')
    .max(100, 'expected 1 to 100 entries'),
});

const returnBody = z.strictObject({ returnCode: z.string().min(1).max(8192) });

const NO_USAGE: Readonly<Record<string, number>> = Object.freeze({});

/** A refusal of the pure core as the daemon's error (same codes). */
function refusal(err: unknown): never {
  if (err instanceof LicenseError) throw new OutpostError(err.code, err.message);
  throw err;
}

function guarded<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    return refusal(err);
  }
}

/**
 * Loads the license records and builds the pool index from them, without reading a device: its
 * usage sums come from the counts saved at the last shutdown (`counts.restore`) or a count in
 * the background (`counts.count`), both started by the caller; every later change reaches the
 * index through onUsage and onDeviceChange (State.watch). Pool reads wait for `counted`.
 */
export async function openLicensing(ctx: DomainContext) {
  const { state } = ctx;
  const loaded = await loadLicenseRecords(ctx.store);
  const book = new LicenseBook(loaded, ctx.seq);
  const counts = new PoolCounts(book.index, { store: ctx.store, writer: ctx.writer, satelliteId: ctx.identity.id });
  const outbox = createOutbox(ctx.store, ctx.seq, state);
  /** The last license alerts computed: they keep the `since` of alerts that stand. */
  let seen: LicenseAlert[] = (await ctx.store.get<LicenseAlert[]>(keys.licenseAlerts)) ?? [];

  const stageEvents = (tx: Tx, now: Date, actor: Actor, events: LicenseEvent[]) => {
    for (const e of events) recordEvent(tx, ctx, now, { actor, type: e.type, vaId: e.vaId, details: e.details });
  };

  const poolJson = (p: PoolView): PoolJson => ({
    virtualAccount: p.vaId === null ? null : state.vaRef(p.vaId),
    entitlement: p.entitlement,
    purchased: p.purchased,
    reserved: p.reserved,
    inUse: p.inUse,
    available: p.available,
    status: p.status,
    flags: p.flags,
  });

  const reservationJson = (r: Reservation): ReservationJson => ({
    reservationId: r.reservationId,
    udi: r.udi,
    virtualAccount: state.vaRef(r.vaId),
    licenses: r.licenses,
    state: r.state,
    at: r.at,
    returnedAt: r.returnedAt,
  });

  /**
   * Stages a cloud snapshot of entitlement lines in `tx` (SPEC §5): validates all of it first
   * (duplicate lineIds, bad dates, bad quantities: 400 INVALID_REQUEST, nothing staged), then
   * lands new lines in their VA or in Default (an `unknown-virtual-account` alert stands while
   * they stay there), applies quantity changes where each line landed, and drops lines absent
   * from it. One event per line added, changed or removed.
   */
  async function stageEntitlementSnapshot(tx: Tx, lines: unknown, opts: ChangeOptions): Promise<SnapshotSummary> {
    const now = opts.now ?? ctx.clock();
    const base = await book.base(tx);
    const defaultVaId = state.defaultVa.id;
    const result = guarded(() => applySnapshot(base.state, lines, (path) => state.vaByPath(path)?.id, defaultVaId, now));
    // The same snapshot again writes nothing at all.
    if (result.events.length > 0 || result.changes.length > 0) book.stage(tx, base, result.state, result.changes);
    const landed = new Map(result.notes.map((n) => [n.lineId, n]));
    const events = result.events.map((e) => {
      const note = e.type === 'license.line_added' ? landed.get(e.details.lineId as string) : undefined;
      return note ? { ...e, details: { ...e.details, landedInDefault: true, namedVirtualAccount: note.path } } : e;
    });
    stageEvents(tx, now, opts.actor, events);
    const count = (type: LicenseEvent['type']) => result.events.filter((e) => e.type === type).length;
    return {
      entitlements: Array.isArray(lines) ? lines.length : 0,
      added: count('license.line_added'),
      changed: count('license.line_changed'),
      removed: count('license.line_removed'),
      landedInDefault: result.notes.length,
    };
  }

  function licenseAlerts(now: Date): LicenseAlert[] {
    counts.assertCounted();
    const current = book.state;
    const landedAt = new Map(current.lines.map((l) => [l.lineId, l.landedAt]));
    seen = computeAlerts({ pools: book.index.pools(now), holdings: holdingViews(current), notes: landingNotes(current), now, previous: seen, landedAt });
    return seen;
  }

  /** An export queue as the exchange reads it: cursors are the queue positions, zero-padded. */
  const exportSource = <R>(read: () => AsyncIterable<{ seq: number; record: R }>, kind: 'transfers' | 'reservations'): ExportSource<R> => ({
    async *pending(): AsyncIterable<Pending<R>> {
      for await (const q of read()) yield { cursor: seqKey(q.seq), record: q.record };
    },
    async acknowledge(tx, cursor) {
      await outbox.acknowledge(tx, { [kind]: Number(cursor) });
    },
  });

  /** Where the exchange's import puts the cloud's snapshot: in the import's own transaction. */
  const entitlementSink: EntitlementSink = {
    async stage(tx, lines, now, actor) {
      await stageEntitlementSnapshot(tx, lines, { actor, now });
    },
  };

  /** What the exchange's export carries in transfers.ndjson and reservations.ndjson. */
  const exportSources: ExportSources = {
    transfers: exportSource(() => outbox.transfers(), 'transfers'),
    reservations: exportSource(() => outbox.reservations(), 'reservations'),
  };

  return {
    book,
    /** The pools' usage sums: restored or counted at start (see pool-counts.ts). */
    counts,
    /** Settles once pool answers are whole: await it before reading pools where a read may come early. */
    whenCounted: (): Promise<void> => counts.counted,
    outbox,
    entitlementSink,
    exportSources,
    poolJson,
    reservationJson,
    stageEntitlementSnapshot,

    /** `stageEntitlementSnapshot` in a transaction of its own. */
    applyEntitlementSnapshot(lines: unknown, opts: ChangeOptions): Promise<SnapshotSummary> {
      return ctx.writer.run((tx) => stageEntitlementSnapshot(tx, lines, opts));
    },

    /**
     * POST /api/licenses/transfer: moves quantity of an entitlement between two VAs (ids or
     * paths). `canUse` throws unless the caller has license rights in a VA. Refusals: 400 for
     * the body, 404 for a VA, 409 INSUFFICIENT_QUANTITY for more than the source has available
     * or an entitlement it does not hold.
     */
    async transfer(body: unknown, actor: Actor, canUse: (vaId: string) => void = () => {}): Promise<TransferExport> {
      const input = parseBody(transferBody, body);
      const from = state.resolveVa(input.from);
      const to = state.resolveVa(input.to);
      canUse(from.id);
      canUse(to.id);
      if (from.id === to.id) throw new OutpostError('INVALID_REQUEST', 'Fields "from" and "to" must name different virtual accounts.');
      await counts.counted; // the check below reads usage
      counts.assertCounted();
      const now = ctx.clock();
      const transferId = newId('tr');
      return ctx.writer.run(async (tx) => {
        const base = await book.base(tx);
        const result = guarded(() =>
          transfer(
            base.state,
            { entitlement: input.entitlement, quantity: input.quantity, fromVaId: from.id, toVaId: to.id, transferId, at: now, by: actor },
            book.poolOf(base.state, now),
          ),
        );
        book.stage(tx, base, result.state, result.changes);
        stageEvents(tx, now, actor, result.events.map((e) => ({ ...e, details: { ...e.details, from: state.vaPath(from.id), to: state.vaPath(to.id), toVirtualAccountId: to.id } })));
        const record = result.state.transfers[result.state.transfers.length - 1]!;
        return outbox.queueTransfer(tx, record);
      });
    },

    /**
     * POST /api/reservations: reserves licenses from a VA's pool for the device of a request
     * code and answers the authorization code signed with the satellite's key.
     */
    async reserve(body: unknown, actor: Actor, canUse: (vaId: string) => void = () => {}): Promise<{ reservationId: string; authorizationCode: string }> {
      const input = parseBody(reserveBody, body);
      const request = guarded(() => parseRequestCode(input.requestCode));
      const va = state.resolveVa(input.virtualAccount);
      canUse(va.id);
      await counts.counted; // the check below reads usage
      counts.assertCounted();
      const now = ctx.clock();
      const reservationId = newId('rsv');
      const reservation = await ctx.writer.run(async (tx) => {
        const base = await book.base(tx);
        const result = guarded(() =>
          reserve(base.state, { reservationId, udi: request.udi, nonce: request.nonce, jwk: request.jwk, vaId: va.id, licenses: input.licenses, at: now }, book.poolOf(base.state, now)),
        );
        book.stage(tx, base, result.state, result.changes);
        stageEvents(tx, now, actor, result.events);
        const r = result.state.reservations[result.state.reservations.length - 1]!;
        outbox.queueReservation(tx, { reservationId: r.reservationId, udi: r.udi, vaId: r.vaId, licenses: r.licenses, state: 'reserved', at: r.at });
        return r;
      });
      return { reservationId, authorizationCode: await signAuthorizationCode(reservation, ctx.identity.privateKey, ctx.identity.kid) };
    },

    /**
     * POST /api/reservations/return: a device's return code, verified against the key of its
     * request code, releases the reservation. 400 for a code that does not verify or was already
     * used; 404 for an unknown reservation (or one outside the caller's VAs, through `canUse`).
     */
    async returnReservation(body: unknown, actor: Actor, canUse: (vaId: string) => void = () => {}): Promise<ReservationJson> {
      const input = parseBody(returnBody, body);
      const claimed = guarded(() => peekReturnCode(input.returnCode));
      const found = book.state.reservations.find((r) => r.reservationId === claimed.reservationId);
      if (!found) throw new OutpostError('NOT_FOUND', `No reservation ${JSON.stringify(claimed.reservationId)}.`);
      canUse(found.vaId);
      const verified = await verifyReturnCode(input.returnCode, found.jwk).catch(refusal);
      if (verified.udi.pid !== found.udi.pid || verified.udi.sn !== found.udi.sn) {
        throw new OutpostError('INVALID_REQUEST', 'The return code names another device than the reservation.');
      }
      const now = ctx.clock();
      return ctx.writer.run(async (tx) => {
        const base = await book.base(tx);
        const result = guarded(() => returnReservation(base.state, found.reservationId, now));
        book.stage(tx, base, result.state, result.changes);
        stageEvents(tx, now, actor, result.events);
        const r = result.state.reservations.find((x) => x.reservationId === found.reservationId)!;
        outbox.queueReservation(tx, { reservationId: r.reservationId, udi: r.udi, vaId: r.vaId, licenses: r.licenses, state: 'returned', at: r.returnedAt! });
        return reservationJson(r);
      });
    },

    /** Reservations (held and returned), oldest first, within `scope` (null: all). */
    reservations(scope: Set<string> | null): Reservation[] {
      return book.state.reservations.filter((r) => scope === null || scope.has(r.vaId));
    },

    /** The authorization code of a reservation again (EdDSA signatures are deterministic). */
    authorizationCode(r: Reservation): Promise<string> {
      return signAuthorizationCode(r, ctx.identity.privateKey, ctx.identity.kid);
    },

    /** The pools of the VAs given (null: every VA), by VA then entitlement. */
    pools(now: Date, vaIds: Iterable<string> | null): PoolView[] {
      counts.assertCounted();
      return book.index.pools(now, vaIds === null ? undefined : [...vaIds].sort());
    },

    /** One pool per entitlement summing the VAs given (null: the whole account); `vaId` null. */
    sum(now: Date, vaIds: Iterable<string> | null): PoolView[] {
      counts.assertCounted();
      return vaIds === null ? book.index.accountPools(now) : sumPools(book.index.pools(now, [...vaIds]));
    },

    /** GET /v1/status: the status of a VA's pool of one entitlement. */
    poolStatus(vaId: string, entitlement: string): 'ok' | 'insufficient' {
      counts.assertCounted();
      return book.index.pool(vaId, entitlement, ctx.clock()).status;
    },

    /** The license alerts standing at `now` (expiring, expired, insufficient, unknown-virtual-account). */
    licenseAlerts,

    /**
     * The alert source for `collectAlerts`. Until the pools are counted: the license alerts as the
     * last check left them (they stand until the next check, which waits for the count).
     */
    alertSource: (now: Date): Alert[] => (counts.ready ? licenseAlerts(now) : seen),

    /**
     * A device's latest usage changed from `before` to `after` (the state's usage watcher, called
     * once the report is durable and `state.latest` holds `after`): counted where the device counts now.
     */
    onUsage(device: DeviceRecord, before: Record<string, number> | undefined, after: Record<string, number>): void {
      const va = countedIn(state.device(device.id) ?? device);
      if (va !== null && counts.follows(device.id)) book.index.replaceUsage(va, before ?? NO_USAGE, after);
    },

    /**
     * A device changed (the state's device watcher): its latest usage (read from the state: the
     * index keeps nothing per device) follows where it counts.
     */
    onDeviceChange(before: DeviceRecord | undefined, after: DeviceRecord): void {
      const was = countedIn(before);
      const now = countedIn(after);
      if (was === now || !counts.follows(after.id)) return;
      const usage = state.latestOf(after.id)?.usage;
      if (usage === undefined) return;
      if (was !== null) book.index.countUsage(was, usage, -1);
      if (now !== null) book.index.countUsage(now, usage, 1);
    },

    /** What each VA holds of each line, with the line's SKU and end (the summary's ending lines). */
    holdings(): Array<{ vaId: string; lineId: string; sku: string; entitlement: string; quantity: number; endsAt: string | null }> {
      const lines = new Map(book.state.lines.map((l) => [l.lineId, l]));
      return book.state.holdings.flatMap((h) => {
        const l = lines.get(h.lineId);
        return l ? [{ vaId: h.vaId, lineId: h.lineId, sku: l.sku, entitlement: l.entitlement, quantity: h.quantity, endsAt: l.endsAt }] : [];
      });
    },

    /** Whether a VA holds licenses or an active reservation, as committed (for display). */
    vaHasLicenses(vaId: string): boolean {
      return vaHasLicenses(book.state, vaId);
    },

    /**
     * For the transaction that deletes a VA: refuses 409 VA_NOT_EMPTY while the VA holds
     * licenses or an active reservation (as that transaction sees the state), else lets the
     * lines that landed there land again in Default, so later increases from the cloud do not
     * go to a VA that no longer exists.
     */
    async stageForgetVirtualAccount(tx: Tx, vaId: string): Promise<void> {
      const base = await book.base(tx);
      if (vaHasLicenses(base.state, vaId)) {
        throw new OutpostError('VA_NOT_EMPTY', 'The virtual account holds licenses or a reservation; transfer or return them first.');
      }
      const next = forgetVirtualAccount(base.state, vaId, state.defaultVa.id);
      if (next !== base.state) book.stage(tx, base, next, []);
    },
  };
}

export type Licensing = Awaited<ReturnType<typeof openLicensing>>;
