// Transfers and reservations waiting for the cloud (SPEC §5 `transfers.ndjson`,
// `reservations.ndjson`): each is queued in the batch that makes it, and stays queued until a
// cloud response acknowledges the satellite report that carried it.
import { keys, prefixRange, seqKey, type Store, type Tx } from '../../../store/index.ts';
import type { LicenseCount, TransferRecord, Udi } from '../core/index.ts';
import type { Sequences } from '../../satellite/sequences.ts';
import type { State } from '../../satellite/state.ts';

/** A `transfers.ndjson` record: the transfer without the line quantities it moved (VAs as paths). */
export type TransferExport = Omit<TransferRecord, 'moved'>;

/** A `reservations.ndjson` record. */
export interface ReservationExport {
  reservationId: string;
  udi: Udi;
  virtualAccount: string;
  licenses: LicenseCount[];
  state: 'reserved' | 'returned';
  at: string;
}

/** As queued: VA ids, with the paths they had then (used if the VA is gone by export time). */
interface QueuedTransfer {
  transferId: string;
  entitlement: string;
  quantity: number;
  fromVaId: string;
  fromPath: string;
  toVaId: string;
  toPath: string;
  at: string;
  by: string;
}

interface QueuedReservation {
  reservationId: string;
  udi: Udi;
  vaId: string;
  path: string;
  licenses: LicenseCount[];
  state: 'reserved' | 'returned';
  at: string;
}

export interface Queued<T> {
  /** Position in its queue; acknowledge through it. */
  seq: number;
  record: T;
}

export function createOutbox(store: Store, seq: Sequences, state: State) {
  const pathOf = (vaId: string, recorded: string): string => (state.vas.has(vaId) ? state.vaPath(vaId) : recorded);

  async function* read<Q, T>(prefix: string, after: number, map: (q: Q) => T): AsyncIterable<Queued<T>> {
    const range = after > 0 ? { gt: prefix + seqKey(after), lt: prefix + '\uffff' } : prefixRange(prefix);
    for await (const [key, q] of store.iterate<Q>(range)) yield { seq: Number(key.slice(prefix.length)), record: map(q) };
  }

  async function drop(tx: Tx, prefix: string, through: number | undefined): Promise<number> {
    if (through === undefined || through < 1) return 0;
    let n = 0;
    for await (const [key] of store.iterate(prefixRange(prefix, {}))) {
      if (Number(key.slice(prefix.length)) > through) break;
      tx.del(key);
      n++;
    }
    return n;
  }

  return {
    /** Stages a transfer for the cloud. */
    queueTransfer(tx: Tx, t: { transferId: string; entitlement: string; quantity: number; from: string; to: string; at: string; by: string }): TransferExport {
      const queued: QueuedTransfer = {
        transferId: t.transferId,
        entitlement: t.entitlement,
        quantity: t.quantity,
        fromVaId: t.from,
        fromPath: state.vaPath(t.from),
        toVaId: t.to,
        toPath: state.vaPath(t.to),
        at: t.at,
        by: t.by,
      };
      tx.put(keys.transferOutbox(seq.next(tx, 'outbox-transfer')), queued);
      return transferExport(queued, (id, p) => p);
    },

    /** Stages a reservation's new state for the cloud. */
    queueReservation(tx: Tx, r: { reservationId: string; udi: Udi; vaId: string; licenses: LicenseCount[]; state: 'reserved' | 'returned'; at: string }): ReservationExport {
      const queued: QueuedReservation = { ...r, path: state.vaPath(r.vaId) };
      tx.put(keys.reservationOutbox(seq.next(tx, 'outbox-reservation')), queued);
      return reservationExport(queued, (id, p) => p);
    },

    /** Transfers not yet acknowledged, oldest first, after position `after` (0: from the start). */
    transfers(after = 0): AsyncIterable<Queued<TransferExport>> {
      return read<QueuedTransfer, TransferExport>(keys.transferOutboxPrefix, after, (q) => transferExport(q, pathOf));
    },

    /** Reservation records not yet acknowledged, oldest first, after position `after`. */
    reservations(after = 0): AsyncIterable<Queued<ReservationExport>> {
      return read<QueuedReservation, ReservationExport>(keys.reservationOutboxPrefix, after, (q) => reservationExport(q, pathOf));
    },

    /**
     * Stages in `tx` the removal of everything queued up to and including the positions given
     * (what the acknowledged satellite report carried); answers how many records that drops.
     */
    async acknowledge(tx: Tx, through: { transfers?: number; reservations?: number }): Promise<{ transfers: number; reservations: number }> {
      return {
        transfers: await drop(tx, keys.transferOutboxPrefix, through.transfers),
        reservations: await drop(tx, keys.reservationOutboxPrefix, through.reservations),
      };
    },
  };
}

export type Outbox = ReturnType<typeof createOutbox>;

function transferExport(q: QueuedTransfer, pathOf: (vaId: string, recorded: string) => string): TransferExport {
  return {
    transferId: q.transferId,
    entitlement: q.entitlement,
    quantity: q.quantity,
    from: pathOf(q.fromVaId, q.fromPath),
    to: pathOf(q.toVaId, q.toPath),
    at: q.at,
    by: q.by,
  };
}

function reservationExport(q: QueuedReservation, pathOf: (vaId: string, recorded: string) => string): ReservationExport {
  return { reservationId: q.reservationId, udi: q.udi, virtualAccount: pathOf(q.vaId, q.path), licenses: q.licenses, state: q.state, at: q.at };
}
