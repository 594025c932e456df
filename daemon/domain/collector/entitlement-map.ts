// `collector.entitlementMap` (SPEC §9): product entitlement tags to Outpost entitlement names. An
// unmapped tag counts as an entitlement named by the tag itself.
import { z } from 'zod';

export const entitlementMapSchema = z.record(
  z.string().min(1).max(512),
  z.string().min(1).max(1024).regex(/^[^\u0000-\u001f\u007f]*$/, 'must not contain control characters'),
);

export type EntitlementMap = ReadonlyMap<string, string>;

/** Validates the parsed YAML of the map file; a string is the reason it is refused. */
export function readEntitlementMap(parsed: unknown): EntitlementMap | string {
  if (parsed === null || parsed === undefined) return new Map();
  const r = entitlementMapSchema.safeParse(parsed);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    return `${issue.path.map(String).join('.') || 'the file'}: ${issue.message}`;
  }
  return new Map(Object.entries(r.data));
}

export const entitlementFor = (map: EntitlementMap, tag: string): string => map.get(tag) ?? tag;
