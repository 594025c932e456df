// Which VAs a list covers: `?va=` (an id or a path) alone or with the VAs nested below it
// (`&nested=true`), always within what the caller may see. Shared by pools, devices,
// reservations and report files so they all scope the same way.
import type { Access, Action, Principal } from './roles.ts';
import type { State } from '../satellite/state.ts';

/**
 * The VA ids a list may show, or null for every VA. Without `va`: the caller's scope for
 * `action`. With `va`: that VA (404 when unknown or outside the caller's VAs), and with `nested`
 * the VAs below it.
 */
export function listScope(state: State, access: Access, p: Principal, action: Action, va?: string, nested = false): Set<string> | null {
  access.requireSome(p, action);
  if (va === undefined) return access.scope(p, action);
  const target = state.resolveVa(va);
  access.require(p, action, target.id);
  return new Set(nested ? state.vas.subtree(target.id) : [target.id]);
}
