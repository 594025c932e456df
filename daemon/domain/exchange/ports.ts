// What the exchange needs from the license workspace, as two narrow ports: where an entitlement
// snapshot goes on import, and where transfers and reservations not yet acknowledged come from
// on export. The defaults below keep the exchange whole on its own; the workspace plugs in
// its own at assembly (daemon/services.ts).
import type { EntitlementRecord, Kind, ManifestOf, ReservationRecord, RumAckRecord, RumRecord, TransferRecord } from '../../../exchange/bundle/records.ts';
import type { WriteBundleOptions } from '../../../exchange/bundle/write.ts';
import type { Tx } from '../../store/index.ts';
import { keys } from '../../store/index.ts';
import type { Actor } from '../satellite/context.ts';

export interface EntitlementSink {
  /**
   * Stages, inside the import's one transaction, the cloud's full snapshot of the account's
   * lines: a line absent from it is gone. Throw to refuse the whole bundle; an error whose
   * `code` is INVALID_REQUEST (a LicenseError) is answered BUNDLE_RECORD_INVALID with its
   * message. Update memory only in `tx.after`.
   */
  stage(tx: Tx, lines: EntitlementRecord[], now: Date, actor: Actor): void | Promise<void>;
}

/** The snapshot as the default sink keeps it: one record, replaced whole. */
export interface StoredSnapshot {
  lines: EntitlementRecord[];
  appliedAt: string;
}

/** Keeps the snapshot under `meta!entitlements`, so it is applied and readable before the workspace wires its own. */
export const storeSnapshotSink: EntitlementSink = {
  stage(tx, lines, now) {
    const snapshot: StoredSnapshot = { lines, appliedAt: now.toISOString() };
    tx.put(keys.entitlements, snapshot);
  },
};

export interface Pending<R> {
  /** Orders the records: every cursor is greater (as a string) than the ones before it. */
  cursor: string;
  record: R;
}

export interface ExportSource<R> {
  /** The records the cloud has not acknowledged yet, oldest first, from one consistent view. */
  pending(): AsyncIterable<Pending<R>> | Iterable<Pending<R>>;
  /** Stages, in the import's transaction: every record up to and including `cursor` is acknowledged. */
  acknowledge(tx: Tx, cursor: string): void | Promise<void>;
}

/**
 * The collector's RUM reports (SPEC §9): `acknowledge` means *received* (the response to a report
 * that carried them was applied); `acknowledgeRum` applies a response's rum-acks.ndjson.
 */
export interface RumSource extends ExportSource<RumRecord> {
  acknowledgeRum(tx: Tx, records: readonly RumAckRecord[], now: Date): Promise<number>;
  /** After the import that carried acknowledgements is durable: hand them to the products. */
  afterImport(): void;
}

export interface ExportSources {
  transfers: ExportSource<TransferRecord>;
  reservations: ExportSource<ReservationRecord>;
  /** None until the collector is wired: rum.ndjson is then empty. */
  rum?: RumSource;
}

const none = <R>(): ExportSource<R> => ({ pending: () => [], acknowledge: () => {} });

/** No transfers or reservations to send: the default until the license workspace is wired. */
export const noExportSources = (): ExportSources => ({ transfers: none(), reservations: none() });

/**
 * Writes a signed bundle of the satellite's (zip, signature, file): the composition root gives
 * one bound to the satellite's key, so composing a bundle here never touches a file or a stream.
 */
export type BundleWriter = <K extends Kind>(
  opts: Omit<WriteBundleOptions<K>, 'privateKey' | 'publicJwk'>,
) => Promise<{ manifest: ManifestOf<K>; more: boolean }>;
