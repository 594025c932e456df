// The two record files SPEC §9 adds to the exchange: `rum.ndjson` in every satellite report (the
// products' RUM reports as collected, for the cloud to check and answer) and the optional
// `rum-acks.ndjson` in a cloud response (one acknowledgement document per product).
import { z } from 'zod';
import { udi, vaPath } from './records.ts';

/** A report id as its decimal digits (ids may exceed 2^53). */
export const reportIdDigits = z.string().regex(/^(0|[1-9][0-9]{0,39})$/, 'a report id of decimal digits');

/** Base64 of at most 16 MiB of acknowledgement document. */
const base64 = z.string().min(4).max(22_369_624).regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64');

export const rumRecord = z.object({
  udi,
  reportId: reportIdDigits,
  virtualAccount: vaPath,
  /** The report object as collected; its `payload` string is the product's bytes, untouched. */
  report: z.looseObject({ payload: z.string().min(2).max(16 * 1024 * 1024) }),
  collectedAt: z.iso.datetime({ offset: true }),
});

export const rumAckRecord = z.object({
  udi,
  reportIds: z.array(reportIdDigits).min(1).max(100_000),
  ack: base64,
});

export type RumRecord = z.infer<typeof rumRecord>;
export type RumAckRecord = z.infer<typeof rumAckRecord>;
