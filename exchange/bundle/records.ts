// The shapes SPEC §5 fixes: one zod schema per record file, the manifest of each bundle kind,
// and which files each kind carries. Readers and writers both check against these, so a
// bundle this code writes is always one it accepts.
import { z } from 'zod';
import { isoTimestamp, reportId, reportWindow, usageEntries, windowInOrder } from './usage-report.ts';

export const BUNDLE_FORMAT = 'outpost.bundle/1';

// Every instant in a bundle is judged by the parser the device API uses (instant.ts), so a
// report the satellite took is one its own export accepts.
const iso = isoTimestamp;
// Names and ids travel into logs, files and the dashboard: no control characters (C0 and DEL,
// the same set the device API refuses, so nothing a device may send can fail its own export).
const printable = /^[^\u0000-\u001f\u007f]*$/;
const NO_CONTROL = 'must not contain control characters';
const text = z.string().min(1).max(1024).regex(printable, NO_CONTROL);
const id = z.string().min(1).max(256).regex(printable, NO_CONTROL);
const count = z.number().int().min(0).max(1_000_000);

/** A VA path such as `Default/Eng/Lab`: 1 to 10 non-empty segments (SPEC §1). */
export const vaPath = z
  .string()
  .max(10 * 65)
  .refine((p) => {
    const segments = p.split('/');
    return segments.length <= 10 && segments.every((s) => s.length >= 1 && s.length <= 64);
  }, 'a VA path of 1 to 10 segments of 1 to 64 characters');

export const udi = z.object({ pid: text, sn: text });
export const licenseCount = z.object({ entitlement: text, count });

export const virtualAccountRecord = z.object({
  id,
  path: vaPath,
  parentId: id.nullable(),
  tags: z.record(z.string(), z.string()),
});

export const deviceRecord = z.object({
  deviceId: id,
  udi,
  hostname: z.string().max(255).nullable(),
  virtualAccount: vaPath,
  state: z.enum(['registered', 'deregistered']),
  via: z.enum(['token', 'policy', 'collector']),
  at: iso,
});

/** A stored usage report: the fields a device sent (usage-report.ts, ingest's rules) and where it came from. */
export const usageRecord = z.object({
  reportId,
  deviceId: id,
  virtualAccount: vaPath,
  window: reportWindow.refine(windowInOrder, 'start must be before end'),
  usage: usageEntries,
  receivedAt: iso,
});

export const transferRecord = z.object({
  transferId: id,
  entitlement: text,
  quantity: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  from: vaPath,
  to: vaPath,
  at: iso,
  by: text,
});

export const reservationRecord = z.object({
  reservationId: id,
  udi,
  virtualAccount: vaPath,
  licenses: z.array(licenseCount),
  state: z.enum(['reserved', 'returned']),
  at: iso,
});

export const entitlementRecord = z.object({
  lineId: id,
  sku: text,
  entitlement: text,
  description: z.string().max(1024),
  // Exact pool sums: a quantity beyond 2^53 − 1 cannot be added without rounding.
  quantity: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  type: z.enum(['perpetual', 'term', 'subscription']),
  startsAt: iso,
  endsAt: iso.nullable(),
  virtualAccount: vaPath.nullable(),
});

export const revocationRecord = z.object({ deviceId: id, reason: z.string().max(1024) });

export const policy = z.object({ reportIntervalHours: z.number().int().min(1).max(8760) });
export const profile = z.object({
  name: text,
  domain: z.string().max(255),
  type: z.enum(['customer', 'partner-holding', 'limited-use']),
});

/** The satellite's public key as registration sends it: an Ed25519 JWK, public part only. */
export const ed25519PublicJwk = z
  .looseObject({
    kty: z.literal('OKP'),
    crv: z.literal('Ed25519'),
    x: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  })
  .refine((jwk) => !('d' in jwk), 'a public key must not carry its private part');

// SPEC §9: `rum.ndjson` in every satellite report (the products' RUM reports as collected, for
// the cloud to check and answer) and the optional `rum-acks.ndjson` in a cloud response.
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


/** Record schema of each data file a bundle may hold. */
export const RECORD_SCHEMAS = {
  'virtual-accounts.ndjson': virtualAccountRecord,
  'devices.ndjson': deviceRecord,
  'usage.ndjson': usageRecord,
  'transfers.ndjson': transferRecord,
  'reservations.ndjson': reservationRecord,
  'entitlements.ndjson': entitlementRecord,
  'revocations.ndjson': revocationRecord,
  'rum.ndjson': rumRecord,
  'rum-acks.ndjson': rumAckRecord,
} as const;

export type FileName = keyof typeof RECORD_SCHEMAS;
export type RecordOf<N extends FileName> = z.infer<(typeof RECORD_SCHEMAS)[N]>;

export function isFileName(name: string): name is FileName {
  return Object.hasOwn(RECORD_SCHEMAS, name);
}

export const KINDS = [
  'registration-request',
  'registration-response',
  'satellite-report',
  'cloud-response',
] as const;
export type Kind = (typeof KINDS)[number];

/** Which data files each kind carries (SPEC §5 table); a report always has all five. */
export const FILES_BY_KIND: Readonly<Record<Kind, { required: readonly FileName[]; optional: readonly FileName[] }>> = {
  'registration-request': { required: [], optional: [] },
  'registration-response': { required: ['entitlements.ndjson'], optional: [] },
  'satellite-report': {
    required: [
      'virtual-accounts.ndjson',
      'devices.ndjson',
      'usage.ndjson',
      'transfers.ndjson',
      'reservations.ndjson',
      'rum.ndjson',
    ],
    optional: [],
  },
  'cloud-response': { required: ['entitlements.ndjson'], optional: ['revocations.ndjson', 'rum-acks.ndjson'] },
};

export const fileEntry = z.object({
  name: z.string().min(1).max(255),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().min(0),
  records: z.number().int().min(0),
});
export type FileEntry = z.infer<typeof fileEntry>;

const base = {
  format: z.literal(BUNDLE_FORMAT),
  satellite: id,
  createdAt: iso,
  files: z.array(fileEntry).max(64),
};
const counter = z.number().int().min(1);

export const registrationRequestManifest = z.object({
  ...base,
  kind: z.literal('registration-request'),
  account: id.nullable(),
  sequence: z.literal(0),
  inReplyTo: z.null(),
  token: z.string().min(1).max(1024),
  name: text,
  publicKey: ed25519PublicJwk,
});

export const registrationResponseManifest = z.object({
  ...base,
  kind: z.literal('registration-response'),
  account: id,
  sequence: counter,
  inReplyTo: z.literal(0),
  profile,
  policy,
});

export const satelliteReportManifest = z.object({
  ...base,
  kind: z.literal('satellite-report'),
  account: id.nullable(),
  sequence: counter,
  inReplyTo: z.null(),
  more: z.boolean().optional(),
});

export const cloudResponseManifest = z.object({
  ...base,
  kind: z.literal('cloud-response'),
  account: id,
  sequence: counter,
  inReplyTo: counter,
  policy,
  profile: profile.optional(),
});

export const manifestSchema = z.discriminatedUnion('kind', [
  registrationRequestManifest,
  registrationResponseManifest,
  satelliteReportManifest,
  cloudResponseManifest,
]);

export type Manifest = z.infer<typeof manifestSchema>;
export type ManifestOf<K extends Kind> = Extract<Manifest, { kind: K }>;
export type Policy = z.infer<typeof policy>;
export type Profile = z.infer<typeof profile>;
export type VirtualAccountRecord = RecordOf<'virtual-accounts.ndjson'>;
export type DeviceRecord = RecordOf<'devices.ndjson'>;
export type UsageRecord = RecordOf<'usage.ndjson'>;
export type TransferRecord = RecordOf<'transfers.ndjson'>;
export type ReservationRecord = RecordOf<'reservations.ndjson'>;
export type EntitlementRecord = RecordOf<'entitlements.ndjson'>;
export type RevocationRecord = RecordOf<'revocations.ndjson'>;
export type RumRecord = RecordOf<'rum.ndjson'>;
export type RumAckRecord = RecordOf<'rum-acks.ndjson'>;

/** The first problem zod found, as "path: message", for a refusal's one sentence. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid';
  const where = issue.path.length ? issue.path.join('.') : 'record';
  return `${where}: ${issue.message}`;
}
