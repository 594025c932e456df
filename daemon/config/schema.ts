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


/** A directory group or SSO group claim value mapped to a role, optionally in one VA (its id or path). */
const roleMap = z
  .array(
    z.strictObject({
      group: z.string().min(1).max(1024),
      role: z.enum(['sa-admin', 'sa-approver', 'sa-user', 'va-admin', 'va-user', 'viewer']),
      virtualAccount: z.string().min(1).max(1024).optional(),
    }).refine((m) => (m.virtualAccount === undefined) === ['sa-admin', 'sa-approver', 'sa-user', 'viewer'].includes(m.role) || (m.role === 'viewer'), 'va-admin and va-user need a virtualAccount; sa-admin, sa-approver and sa-user take none'),
  )
  .max(256);

const loopbackHost = (host: string) => host === 'localhost' || host === '[::1]' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);

/** SPEC §11: directory login. `ldap://` to a host other than loopback needs StartTLS. */
export const ldapSchema = z
  .strictObject({
    url: z.string().refine((s) => {
      try {
        const u = new URL(s);
        return (u.protocol === 'ldap:' || u.protocol === 'ldaps:') && u.hostname !== '';
      } catch {
        return false;
      }
    }, 'expected an ldap:// or ldaps:// URL, e.g. "ldaps://ldap.example.com"'),
    startTls: z.boolean().default(false),
    caFile: z.string().min(1).nullable().default(null),
    bindDn: z.string().min(1).max(1024).nullable().default(null),
    bindPasswordFile: z.string().min(1).nullable().default(null),
    userBase: z.string().min(1).max(1024),
    userFilter: z
      .string()
      .max(1024)
      .refine((s) => s.includes('{username}'), 'must contain {username}')
      .default('(uid={username})'),
    groupAttribute: z.string().min(1).max(128).default('memberOf'),
    roleMap: roleMap.default([]),
    /** Seconds to connect, and for each answer. */
    timeoutSeconds: z.int().min(1).max(120).default(10),
  })
  .refine((l) => (l.bindDn === null) === (l.bindPasswordFile === null), 'set both bindDn and bindPasswordFile, or neither')
  .refine((l) => {
    const u = new URL(l.url);
    return u.protocol === 'ldaps:' || l.startTls || loopbackHost(u.hostname);
  }, 'ldap:// to a host other than loopback requires startTls: true (or use ldaps://)')
  .refine((l) => !(l.startTls && new URL(l.url).protocol === 'ldaps:'), 'startTls is for ldap:// URLs; ldaps:// is TLS already');

/** SPEC §11: single sign-on. The issuer must be https:// except on loopback. */
export const oidcSchema = z
  .strictObject({
    issuer: url,
    clientId: z.string().min(1).max(1024),
    clientSecretFile: z.string().min(1).nullable().default(null),
    scopes: z.array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/)).min(1).max(32).default(['openid', 'profile', 'email']),
    usernameClaim: z.string().min(1).max(128).default('preferred_username'),
    groupsClaim: z.string().min(1).max(128).default('groups'),
    roleMap: roleMap.default([]),
    /** Seconds for each request to the provider. */
    timeoutSeconds: z.int().min(1).max(120).default(10),
  })
  .refine((o) => o.scopes.includes('openid'), { message: 'scopes must include "openid"', path: ['scopes'] })
  .refine((o) => {
    const u = new URL(o.issuer);
    return u.protocol === 'https:' || loopbackHost(u.hostname);
  }, { message: 'the issuer must be https:// (http:// only on loopback)', path: ['issuer'] });
const file = z.string().min(1);
const syslogTarget = z
  .string()
  .regex(/^(udp|tcp|tls):\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/, 'expected udp://host:514, tcp://host:601 or tls://host:6514');
/** One address: no CR, LF or comma. */
const mailbox = z
  .string()
  .max(254)
  .refine((s) => !/[\r\n,]/.test(s), 'one address, without CR, LF or comma')
  .pipe(z.email());
const eventPattern = z
  .string()
  .regex(/^(\*|[a-z][a-z0-9_-]*)(\.(\*|[a-z][a-z0-9_-]*))*$/, 'expected a dotted event type where * stands for one segment or more, e.g. "alert.*"');

const notify = z
  .strictObject({
    email: z
      .strictObject({
        smtp: z
          .strictObject({
            host: z.string().min(1).nullable().default(null),
            port: z.int().min(1).max(65535).default(587),
            security: z.enum(['starttls', 'tls', 'none']).default('starttls'),
            username: z.string().min(1).nullable().default(null),
            passwordFile: file.nullable().default(null),
            caFile: file.nullable().default(null),
          })
          .refine((s) => (s.username === null) === (s.passwordFile === null), 'set both username and passwordFile, or neither')
          .prefault({}),
        from: mailbox.nullable().default(null),
      })
      .refine((e) => (e.smtp.host === null) === (e.from === null), 'set both smtp.host and from, or neither')
      .prefault({}),
    syslog: z
      .strictObject({
        target: syslogTarget.nullable().default(null),
        facility: z
          .enum(['kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'authpriv', 'ftp',
            'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7'])
          .default('local0'),
        appName: z.string().regex(/^[\x21-\x7e]{1,48}$/, 'expected 1 to 48 printable ASCII characters, no spaces').default('outpost'),
        enterpriseId: z.int().min(1).max(2 ** 31 - 1).default(32473),
        caFile: file.nullable().default(null),
      })
      .prefault({}),
    webhooks: z
      .array(
        z.strictObject({
          url,
          secretFile: file,
          events: z.array(eventPattern).min(1),
          caFile: file.nullable().default(null),
          allowPrivate: z.boolean().default(false),
        }),
      )
      .max(32)
      .refine((hooks) => new Set(hooks.map((h) => h.url)).size === hooks.length, 'each webhook URL once')
      .default([]),
    summary: z
      .strictObject({
        schedule: z
          .string()
          .refine((s) => cron.validate(s), 'expected a cron expression, e.g. "0 7 * * 1"')
          .default('0 7 * * 1'),
      })
      .prefault({}),
    /** Seconds to wait for a mail relay, syslog target or webhook to connect and to answer. */
    timeoutSeconds: z.int().min(1).max(600).default(30),
    /** Deliveries delivered or failed for good are pruned this long after their last attempt. */
    retentionDays: days(3650).default(30),
  })
  .prefault({});

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
      /** Host names the admin listener answers to beyond its own addresses, localhost and publicOrigin's host (SPEC §4). */
      allowedHosts: z
        .array(z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[0-9a-fA-F:.]*:[0-9a-fA-F:.]*|[A-Za-z0-9]([A-Za-z0-9.-]{0,252}))$/, 'expected a host name or address, without port'))
        .max(64)
        .default([]),
      session: z
        .strictObject({
          idleMinutes: z.int().min(1).max(1440).default(30),
          absoluteHours: z.int().min(1).max(168).default(12),
        })
        .prefault({}),
    })
    .prefault({}),
  auth: z
    .strictObject({
      ldap: ldapSchema.nullable().default(null),
      oidc: oidcSchema.nullable().default(null),
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
  notify,
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
}).refine((c) => c.auth.oidc === null || c.admin.publicOrigin !== null, {
  message: 'auth.oidc needs admin.publicOrigin (the redirect URI is <publicOrigin>/api/sso/callback)',
  path: ['auth', 'oidc'],
});

export type Config = z.infer<typeof configSchema>;
