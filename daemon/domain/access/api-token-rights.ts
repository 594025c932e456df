// What an API token may do: on every request, exactly what both its own roles and its creator's
// current roles allow, action by action and VA by VA (SPEC §11). An intersection of actions, not a
// comparison of role names: a token holding `sa-user` made by a `va-admin` of Lab may do license
// work in Lab only, and nothing once the creator loses the role.
import type { RoleGrant } from '../satellite/records.ts';

/** Is `vaId` the VA `ancestor` or nested below it? (the VA tree's question) */
export type Within = (vaId: string, ancestor: string) => boolean;

/** Actions no token may do, whatever its roles: managing users and passwords, and making tokens. */
export const TOKEN_NEVER: ReadonlySet<string> = new Set(['users.write', 'api-tokens.write']);

/**
 * The grants under which a token may do one action: each pair of a token grant and a creator grant
 * that both hold the action, narrowed to the smaller of their two scopes (an account grant is the
 * whole account; VA grants meet only when one is nested in the other). `tokenHolding` and
 * `creatorHolding` are each side's grants that hold the action.
 */
export function meet(tokenHolding: readonly RoleGrant[], creatorHolding: readonly RoleGrant[], within: Within): RoleGrant[] {
  const out: RoleGrant[] = [];
  const add = (g: RoleGrant) => {
    if (!out.some((o) => o.vaId === g.vaId)) out.push(g);
  };
  for (const t of tokenHolding) {
    for (const c of creatorHolding) {
      if (t.vaId === null) add(c);
      else if (c.vaId === null) add(t);
      else if (within(t.vaId, c.vaId)) add(t);
      else if (within(c.vaId, t.vaId)) add(c);
    }
  }
  return out;
}
