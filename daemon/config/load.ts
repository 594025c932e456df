// Loads the YAML config once: file (or defaults) → env overrides → schema → frozen result.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { configSchema, type Config } from './schema.ts';

/** A config that cannot be used; the message names the key by its dotted path. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

const ENV_KEYS: Array<[string, string[]]> = [
  ['OUTPOST_DATA_DIR', ['dataDir']],
  ['OUTPOST_DEVICE_LISTEN', ['device', 'listen']],
  ['OUTPOST_ADMIN_LISTEN', ['admin', 'listen']],
  ['OUTPOST_EXCHANGE_URL', ['exchange', 'url']],
  ['OUTPOST_CLOUD_KEYS', ['exchange', 'cloudKeys']],
  ['OUTPOST_LOG_LEVEL', ['log', 'level']],
];

export type FrozenConfig = DeepReadonly<Config> & { readonly configFile: string | null };
type DeepReadonly<T> = T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

export interface LoadOptions {
  file?: string | null;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Values that win over file and env (command-line flags such as --data-dir). */
  overrides?: Record<string, unknown>;
}

export function loadConfig(opts: LoadOptions = {}): FrozenConfig {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const file = opts.file ?? env.OUTPOST_CONFIG ?? null;
  let raw: unknown = {};
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(`cannot read config file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    try {
      raw = parseYaml(text, { maxAliasCount: 100 }) ?? {};
    } catch (err) {
      throw new ConfigError(`config file ${file} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw new ConfigError(`config file ${file} must hold a mapping of keys`);
    }
  }
  const merged = structuredClone(raw) as Record<string, unknown>;
  for (const [name, keyPath] of ENV_KEYS) {
    const value = env[name];
    if (value !== undefined && value !== '') setPath(merged, keyPath, value);
  }
  for (const [dotted, value] of Object.entries(opts.overrides ?? {})) setPath(merged, dotted.split('.'), value);

  const result = configSchema.safeParse(merged);
  if (!result.success) throw new ConfigError(describe(result.error.issues[0]!, file));
  const cfg = result.data;
  cfg.dataDir = path.resolve(cwd, cfg.dataDir);
  if (cfg.controlSocket) cfg.controlSocket = path.resolve(cwd, cfg.controlSocket);
  return deepFreeze({ ...cfg, configFile: file ? path.resolve(cwd, file) : null });
}

function setPath(target: Record<string, unknown>, keyPath: string[], value: unknown): void {
  let node = target;
  for (const key of keyPath.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keyPath[keyPath.length - 1]!] = value;
}

function describe(issue: z.core.$ZodIssue, file: string | null): string {
  const where = file ? ` (${file})` : '';
  const dotted = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const key = [...issue.path.map(String), issue.keys[0]].join('.');
    return `config: unknown key "${key}"${where}`;
  }
  return `config: "${dotted || '(root)'}" is invalid${where}: ${issue.message}`;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** The control socket's path: `controlSocket`, or `<dataDir>/outpost.sock`. */
export function socketPathOf(config: FrozenConfig): string {
  return config.controlSocket ?? path.join(config.dataDir, 'outpost.sock');
}
