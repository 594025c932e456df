// What the collector needs from the process: its entitlement map read from its YAML file, the
// secrets key's path, and the satellite's own listeners as addresses it must never poll.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import type { FrozenConfig } from '../config/index.ts';
import type { Listener } from '../domain/collector/addresses.ts';
import { readEntitlementMap, type EntitlementMap } from '../domain/collector/entitlement-map.ts';
import type { Listeners } from '../domain/satellite/status.ts';
import { StartError } from '../listeners.ts';

/** Stops the start with one line, as any other start-up failure. */
export class CollectorSetupError extends StartError {}

export const secretsKeyFileOf = (config: FrozenConfig): string => config.collector.secretsKeyFile ?? path.join(config.dataDir, 'secrets.key');

/** Reads `collector.entitlementMap`; a missing or malformed file stops the start with one line. */
export async function loadEntitlementMap(config: FrozenConfig): Promise<EntitlementMap> {
  const file = config.collector.entitlementMap;
  if (!file) return new Map();
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new CollectorSetupError(`collector.entitlementMap: cannot read ${file}: ${(e as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = parse(text);
  } catch (e) {
    throw new CollectorSetupError(`collector.entitlementMap: ${file} is not YAML: ${(e as Error).message}`);
  }
  const map = readEntitlementMap(parsed);
  if (typeof map === 'string') throw new CollectorSetupError(`collector.entitlementMap: ${file}: ${map}`);
  return map;
}

/** The TCP listeners as host and port (the control socket is a file, not an address). */
export function ownListeners(listeners: Listeners): Listener[] {
  const out: Listener[] = [];
  for (const url of [listeners.device, listeners.admin]) {
    if (!url) continue;
    const u = new URL(url);
    out.push({ host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || (u.protocol === 'https:' ? 443 : 80)) });
  }
  return out;
}
