// The reference cloud's JSON config: one strict schema with defaults, validated once, paths
// resolved against the config file's folder, the result frozen. Unknown keys are errors.
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { entitlementRecord, policy, profile } from '../bundle/index.ts';

const listen = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5}$/, 'host:port, such as 127.0.0.1:8190 (port 0 picks a free one)');

const account = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/, 'letters, digits, "_", "." or "-", at most 128'),
  profile,
  policy: policy.default({ reportIntervalHours: 24 }),
  /** Registration tokens: each lets a satellite register into this account. */
  tokens: z.array(z.string().min(16, 'at least 16 characters')).default([]),
  /** The account's lines, as entitlements.ndjson carries them. */
  lines: z.array(entitlementRecord).default([]),
});

const schema = z
  .strictObject({
    listen: listen.default('127.0.0.1:8190'),
    tls: z.strictObject({ cert: z.string().min(1), key: z.string().min(1) }).nullable().default(null),
    dataDir: z.string().min(1).default('./cloud-data'),
    /** Bearer token for /v1/admin/…; null leaves the admin routes out. */
    adminToken: z.string().min(16, 'at least 16 characters').nullable().default(null),
    /** Compressed bytes an uploaded bundle may have. */
    maxUploadBytes: z.number().int().positive().default(256 * 1024 * 1024),
    /** Uncompressed bytes a bundle may hold (openBundle's maxBytes). */
    maxBundleBytes: z.number().int().positive().default(1024 ** 3),
    accounts: z.array(account).min(1),
  })
  .superRefine((c, ctx) => {
    const ids = new Set<string>();
    const tokens = new Set<string>();
    c.accounts.forEach((a, i) => {
      if (ids.has(a.id)) ctx.addIssue({ code: 'custom', path: ['accounts', i, 'id'], message: `account id ${a.id} is used twice` });
      ids.add(a.id);
      a.tokens.forEach((tok, j) => {
        if (tokens.has(tok)) ctx.addIssue({ code: 'custom', path: ['accounts', i, 'tokens', j], message: 'a token may belong to one account only' });
        tokens.add(tok);
      });
      const lineIds = new Set<string>();
      a.lines.forEach((l, j) => {
        if (lineIds.has(l.lineId)) ctx.addIssue({ code: 'custom', path: ['accounts', i, 'lines', j, 'lineId'], message: `line ${l.lineId} is listed twice` });
        lineIds.add(l.lineId);
      });
    });
  });

export type CloudConfig = Readonly<z.infer<typeof schema>>;
export type AccountConfig = CloudConfig['accounts'][number];

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Validates a parsed config document; relative paths are taken from `baseDir`. */
export function parseCloudConfig(doc: unknown, baseDir: string): CloudConfig {
  const parsed = schema.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    if (issue.code === 'unrecognized_keys') {
      throw new ConfigError(`config ${[...issue.path, issue.keys[0]].join('.')}: unknown key`);
    }
    throw new ConfigError(`config ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  }
  const c = parsed.data;
  return deepFreeze({
    ...c,
    dataDir: resolve(baseDir, c.dataDir),
    tls: c.tls && { cert: resolve(baseDir, c.tls.cert), key: resolve(baseDir, c.tls.key) },
  });
}

export async function loadCloudConfig(path: string): Promise<CloudConfig> {
  let doc: unknown;
  try {
    doc = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new ConfigError(`cannot read the config ${path}: ${(err as Error).message}`);
  }
  return parseCloudConfig(doc, dirname(resolve(path)));
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
