// The audit log: every change of state writes an event in the same batch as the change.
import type { Tx } from '../../store/index.ts';
import { keys, seqKey } from '../../store/index.ts';
import type { Sequences } from './sequences.ts';
import type { EventRecord } from './records.ts';

/**
 * What writing an event needs: the sequences, and whoever else stages work in the same
 * transaction for each event (the notifications outbox, SPEC §10).
 */
export interface EventWriting {
  seq: Sequences;
  onEvent?: ((tx: Tx, event: EventRecord, now: Date) => void) | undefined;
}

export interface EventInput {
  actor: string;
  type: string;
  vaId: string | null;
  details?: Record<string, unknown>;
}

/** Stages one event in `tx`; returns it. */
export function recordEvent(tx: Tx, w: EventWriting, now: Date, input: EventInput): EventRecord {
  const n = w.seq.next(tx, 'event');
  const event: EventRecord = {
    id: `evt_${seqKey(n)}`,
    at: now.toISOString(),
    actor: input.actor,
    type: input.type,
    vaId: input.vaId,
    details: input.details ?? {},
  };
  tx.put(keys.event(n), event);
  w.onEvent?.(tx, event, now);
  return event;
}
