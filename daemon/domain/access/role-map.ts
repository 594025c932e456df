// A directory or SSO user's roles come from its groups, through auth.*.roleMap, at every login
// (SPEC §11). Directory groups are DNs, compared regardless of case and spacing after commas;
// SSO group claims are compared exactly.
import type { RoleGrant, Role } from '../satellite/records.ts';

export interface RoleMapEntry {
  readonly group: string;
  readonly role: Role;
  readonly virtualAccount?: string;
}

const normaliseDn = (dn: string) => dn.split(',').map((rdn) => rdn.trim()).join(',').toLowerCase();

/**
 * The grants `groups` earn. `resolveVa` answers the id of a VA named by id or path, or null when
 * there is none (that mapping then gives nothing, rather than failing every login). Duplicates fold.
 */
export function rolesFromGroups(
  groups: readonly string[],
  map: readonly RoleMapEntry[],
  opts: { dn: boolean; resolveVa: (ref: string) => string | null },
): RoleGrant[] {
  const norm = opts.dn ? normaliseDn : (s: string) => s;
  const held = new Set(groups.map(norm));
  const out: RoleGrant[] = [];
  for (const m of map) {
    if (!held.has(norm(m.group))) continue;
    const vaId = m.virtualAccount === undefined ? null : opts.resolveVa(m.virtualAccount);
    if (m.virtualAccount !== undefined && vaId === null) continue;
    if (!out.some((o) => o.role === m.role && o.vaId === vaId)) out.push({ role: m.role, vaId });
  }
  return out;
}
