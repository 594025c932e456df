// Who may do what: one declarative table (role → actions) and one check that every route uses.
// VA-scoped roles cover their VA and every VA nested below it.
import { OutpostError } from '../errors.ts';
import type { State } from './state.ts';
import type { Role, RoleGrant, UserRecord } from './types.ts';

export const ACTIONS = [
  'account.read',
  'account.write',
  'tags.write',
  'va.read',
  'va.create',
  'va.write',
  'va.delete',
  'users.read',
  'users.write',
  'events.read',
  'license.read',
  'license.write',
  'sync.read',
  'sync.run',
  'backup',
] as const;
export type Action = (typeof ACTIONS)[number];

/** The role table. `backup` is the control socket's alone (it holds every secret). */
export const ROLE_ACTIONS: Record<Role, ReadonlySet<Action>> = {
  'sa-admin': new Set(ACTIONS.filter((a) => a !== 'backup')),
  'sa-approver': new Set(['account.read', 'account.write', 'va.read', 'users.read', 'events.read']),
  'sa-user': new Set(['account.read', 'va.read', 'license.read', 'license.write', 'sync.read', 'sync.run', 'events.read']),
  'va-admin': new Set(['account.read', 'va.read', 'va.create', 'va.write', 'users.read', 'users.write', 'events.read', 'license.read', 'license.write']),
  'va-user': new Set(['account.read', 'va.read', 'license.read', 'license.write']),
  viewer: new Set(['account.read', 'va.read', 'license.read', 'sync.read', 'events.read']),
};

export const ROLES = Object.keys(ROLE_ACTIONS) as Role[];
export const ACCOUNT_ROLES: ReadonlySet<Role> = new Set(['sa-admin', 'sa-approver', 'sa-user']);
export const VA_ROLES: ReadonlySet<Role> = new Set(['va-admin', 'va-user']);

export type Principal = { kind: 'local' } | { kind: 'user'; user: UserRecord };

export const actorOf = (p: Principal): string => (p.kind === 'local' ? 'local' : p.user.username);

/** Is `vaId` the grant's VA or nested below it? */
export function covers(state: State, grantVaId: string | null, vaId: string): boolean {
  if (grantVaId === null) return true;
  let id: string | null = vaId;
  while (id) {
    if (id === grantVaId) return true;
    id = state.vas.get(id)?.parentId ?? null;
  }
  return false;
}

export function createAccess(state: State) {
  const grants = (p: Principal): RoleGrant[] => (p.kind === 'local' ? [] : p.user.roles);

  /** May `p` do `action` at all (somewhere)? */
  function mayAtAll(p: Principal, action: Action): boolean {
    if (p.kind === 'local') return true;
    return grants(p).some((g) => ROLE_ACTIONS[g.role].has(action));
  }

  /** May `p` see `vaId` at all? (any grant covering it) */
  function sees(p: Principal, vaId: string): boolean {
    if (p.kind === 'local') return true;
    return grants(p).some((g) => covers(state, g.vaId, vaId));
  }

  /** May `p` do `action` on `vaId` (null: account-wide)? */
  function may(p: Principal, action: Action, vaId: string | null): boolean {
    if (p.kind === 'local') return true;
    return grants(p).some((g) => ROLE_ACTIONS[g.role].has(action) && (g.vaId === null || (vaId !== null && covers(state, g.vaId, vaId))));
  }

  return {
    mayAtAll,
    sees,
    may,
    /**
     * Throws unless `p` may do `action` on `vaId`: an object outside the caller's VAs answers
     * 404 as if it did not exist; one in scope but not allowed answers 403 FORBIDDEN.
     */
    require(p: Principal, action: Action, vaId: string | null = null): void {
      if (may(p, action, vaId)) return;
      if (vaId !== null && !sees(p, vaId)) throw new OutpostError('NOT_FOUND', 'No such resource.');
      throw new OutpostError('FORBIDDEN', 'Your role does not allow this.');
    },
    /** The VA ids in which `p` may do `action`, or null for all of them. */
    scope(p: Principal, action: Action): Set<string> | null {
      if (p.kind === 'local') return null;
      const gs = grants(p).filter((g) => ROLE_ACTIONS[g.role].has(action));
      if (gs.some((g) => g.vaId === null)) return null;
      const out = new Set<string>();
      for (const va of state.vas.values()) if (gs.some((g) => covers(state, g.vaId, va.id))) out.add(va.id);
      return out;
    },
  };
}

export type Access = ReturnType<typeof createAccess>;
