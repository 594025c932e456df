// The one config schema: every key, its default and its form. Unknown keys are errors.
import { DEFAULT_ALLOWED_NETWORKS, parseCidr } from '../domain/collector/addresses.ts';
import { z } from 'zod';
import cron from 'node-cron';

const listen = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/, 'expected "host:port", e.g. "127.0.0.1:8180"')
  .refine((s) => Number(s.slice(s.lastIndexOf(':') + 1)) <= 65535, 'port must be 0 to 65535');

const tls = z
  .strictObject({
    cert: z.string().min(1).nullable().default(null),
    key: z.string().min(1).nullable().default(null),
  })
  .refine((t) => (t.cert === null) === (t.key === null), 'set both cert and key, or neither')
  .prefault({});

const days = (max: number) => z.int().min(1).max(max);
const url = z.string().refine((s) => {
  try {
    const u = new URL(s);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}, 'expected an http(s) URL');

export const configSchema = z.strictObject({
  dataDir: z.string().min(1).default('./data'),
  name: z.string().min(1).max(128).nullable().default(null),
  controlSocket: z.string().min(1).nullable().default(null),
  device: z
    .strictObject({
      listen: listen.default('0.0.0.0:8182'),
      tls,
      policyMode: z
        .strictObject({
          enabled: z.boolean().default(false),
          virtualAccount: z.string().min(1).default('Default'),
          maxDevices: z.int().min(0).max(10_000_000).default(10000),
          allowedPids: z.array(z.string().min(1)).min(1).default(['*']),
        })
        .prefault({}),
      maxReportAgeDays: days(3650).default(400),
      /** Reports waiting for the disk before new ones get 429 BUSY. */
      queueLimit: z.int().min(1).max(1_000_000).default(8192),
    })
    .prefault({}),
  admin: z
    .strictObject({
      listen: listen.default('127.0.0.1:8180'),
      tls,
      publicOrigin: url.nullable().default(null),
      session: z
        .strictObject({
          idleMinutes: z.int().min(1).max(1440).default(30),
          absoluteHours: z.int().min(1).max(168).default(12),
        })
        .prefault({}),
    })
    .prefault({}),
  log: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    })
    .prefault({}),
  exchange: z
    .strictObject({
      url: url.nullable().default(null),
      cloudKeys: z.string().min(1).nullable().default(null),
      schedule: z
        .string()
        .refine((s) => cron.validate(s), 'expected a cron expression, e.g. "17 3 * * *"')
        .default('17 3 * * *'),
      proxy: url.nullable().default(null),
      caFile: z.string().min(1).nullable().default(null),
      maxBundleBytes: z.int().min(1024).max(64 * 2 ** 30).default(1073741824),
      maxReportBytes: z.int().min(1024).max(64 * 2 ** 30).default(268435456),
      overdueDays: days(365).default(30),
      /** Seconds to wait for the cloud to connect, and for each chunk of its answer. */
      timeoutSeconds: z.int().min(1).max(3600).default(60),
    })
    .prefault({}),
  collector: z
    .strictObject({
      schedule: z
        .string()
        .refine((s) => cron.validate(s), 'expected a cron expression, e.g. "41 */4 * * *"')
        .default('41 */4 * * *'),
      concurrency: z.int().min(1).max(256).default(8),
      /** A deadline for each whole request to a product, not an idle timeout. */
      timeoutSeconds: z.int().min(1).max(3600).default(30),
      maxAnswerBytes: z.int().min(1024).max(2 ** 31).default(67108864),
      allowedNetworks: z
        .array(z.string().refine((c) => typeof parseCidr(c) !== 'string', 'expected an address/prefix such as 10.0.0.0/8'))
        .max(1000)
        .default([...DEFAULT_ALLOWED_NETWORKS]),
      /** null = <dataDir>/secrets.key */
      secretsKeyFile: z.string().min(1).nullable().default(null),
      /** A YAML file of `<tag>: <entitlement>`; null = every tag counts under its own name. */
      entitlementMap: z.string().min(1).nullable().default(null),
      ackBody: z.enum(['xml', 'base64-json']).default('xml'),
      ackField: z.string().min(1).max(128).regex(/^[A-Za-z0-9_.-]+$/).default('data'),
    })
    .prefault({}),
  lapse: z
    .strictObject({
      days: days(3650).default(365),
      warnDays: z.array(z.int().min(1).max(3650)).max(10).default([90, 30, 7]),
    })
    .prefault({}),
  retention: z
    .strictObject({
      acknowledgedDays: days(36500).default(90),
      eventDays: days(36500).default(730),
    })
    .prefault({}),
  /** Scheduled backups (SPEC §12): off while `schedule` is null. */
  backup: z
    .strictObject({
      schedule: z
        .string()
        .refine((s) => cron.validate(s), 'expected a cron expression, e.g. "45 2 * * *"')
        .nullable()
        .default(null),
      /** Where the copies go; null = <dataDir>/backups. */
      dir: z.string().min(1).nullable().default(null),
      keep: z.int().min(1).max(1000).default(7),
    })
    .prefault({}),
});

export type Config = z.infer<typeof configSchema>;
