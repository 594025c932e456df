// Who may do what: one declarative table (role → actions) and one check that every route uses.
// VA-scoped roles cover their VA and every VA nested below it.
import { OutpostError } from '../../errors.ts';
import type { State } from '../satellite/state.ts';
import type { ApiTokenRecord, Role, RoleGrant, UserRecord } from '../satellite/records.ts';
import { meet, TOKEN_NEVER } from './api-token-rights.ts';

export const ACTIONS = [
  'account.read',
  'account.write',
  'account.type',
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
  /** Registering the satellite with the cloud binds it to an account: sa-admin only. */
  'sync.register',
  /** Confirming the clock, and undoing what the time rules did while it was suspect: sa-admin only. */
  'clock.confirm',
  /** Notification deliveries and test sends (SPEC §10): sa-admin only. */
  'notify.manage',
  'backup',
] as const;
export type Action = (typeof ACTIONS)[number];

/**
 * The role table (SPEC §4). `backup` is the control socket's alone (it holds every secret).
 * How a grant's scope applies: an account-level object (vaId null) needs an account-scope grant,
 * except for the actions in ACCOUNT_WIDE; a VA object needs a grant covering it. Creating,
 * renaming and deleting a VA are checked on its parent; managing a user on every VA its roles
 * name (see `requireUser`).
 */
export const ROLE_ACTIONS: Record<Role, ReadonlySet<Action>> = {
  'sa-admin': new Set(ACTIONS.filter((a) => a !== 'backup')),
  'sa-approver': new Set(['account.read', 'account.write', 'va.read', 'users.read', 'events.read']),
  'sa-user': new Set(['account.read', 'va.read', 'license.read', 'license.write', 'sync.read', 'sync.run', 'events.read']),
  'va-admin': new Set([
    'account.read',
    'va.read',
    'va.create',
    'va.write',
    'va.delete',
    'users.read',
    'users.write',
    'events.read',
    'license.read',
    'license.write',
  ]),
  'va-user': new Set(['account.read', 'va.read', 'license.read', 'license.write']),
  viewer: new Set(['account.read', 'va.read', 'license.read', 'sync.read', 'events.read']),
};

/** Reading the account's own properties (name, type, registration) is open to every role. */
export const ACCOUNT_WIDE: ReadonlySet<Action> = new Set(['account.read']);

export const ROLES = Object.keys(ROLE_ACTIONS) as Role[];
export const ACCOUNT_ROLES: ReadonlySet<Role> = new Set(['sa-admin', 'sa-approver', 'sa-user']);
export const VA_ROLES: ReadonlySet<Role> = new Set(['va-admin', 'va-user']);

/**
 * Who asks: the control socket (every right), a user of a session, or an API token — which may do
 * what both its roles and its creator's current roles allow (api-token-rights.ts), never more.
 */
export type Principal = { kind: 'local' } | { kind: 'user'; user: UserRecord } | { kind: 'token'; token: ApiTokenRecord; user: UserRecord };

export const actorOf = (p: Principal): string => (p.kind === 'local' ? 'local' : p.kind === 'token' ? `api-token:${p.token.id}` : p.user.username);

/** Is `vaId` the grant's VA or nested below it? */
export function covers(state: State, grantVaId: string | null, vaId: string): boolean {
  return grantVaId === null || state.vas.within(vaId, grantVaId);
}

const notFound = () => new OutpostError('NOT_FOUND', 'No such resource.');
const forbidden = () => new OutpostError('FORBIDDEN', 'Your role does not allow this.');

export function createAccess(state: State) {
  const within = (vaId: string, ancestor: string) => state.vas.within(vaId, ancestor);
  /** The scopes a principal reaches at all (a token: where its grants meet its creator's). */
  const grants = (p: Principal): RoleGrant[] => (p.kind === 'local' ? [] : p.kind === 'token' ? meet(p.token.roles, p.user.roles, within) : p.user.roles);
  const holding = (p: Principal, action: Action): RoleGrant[] => {
    if (p.kind === 'local') return [];
    const has = (g: RoleGrant) => ROLE_ACTIONS[g.role].has(action);
    if (p.kind === 'user') return p.user.roles.filter(has);
    // A token: an intersection of actions, VA by VA, with what its creator may do now.
    return TOKEN_NEVER.has(action) ? [] : meet(p.token.roles.filter(has), p.user.roles.filter(has), within);
  };

  /** May `p` do `action` at all (somewhere)? */
  function mayAtAll(p: Principal, action: Action): boolean {
    if (p.kind === 'local') return true;
    return holding(p, action).length > 0;
  }

  /** May `p` see `vaId` at all? (any grant covering it) */
  function sees(p: Principal, vaId: string): boolean {
    if (p.kind === 'local') return true;
    return grants(p).some((g) => covers(state, g.vaId, vaId));
  }

  /** May `p` do `action` on `vaId` (null: account-wide)? */
  function may(p: Principal, action: Action, vaId: string | null): boolean {
    if (p.kind === 'local') return true;
    return holding(p, action).some(
      (g) => g.vaId === null || ACCOUNT_WIDE.has(action) || (vaId !== null && covers(state, g.vaId, vaId)),
    );
  }

  /** Are all `roles` VA roles within VAs where `p` holds `action`? (none: false) */
  function withinVaGrants(p: Principal, action: Action, roles: RoleGrant[]): boolean {
    const gs = holding(p, action).filter((g) => g.vaId !== null);
    return roles.length > 0 && roles.every((r) => r.vaId !== null && gs.some((g) => covers(state, g.vaId, r.vaId!)));
  }

  /** Is a user holding `roles` inside `p`'s scope at all (whatever `p` may do there)? */
  function inReach(p: Principal, roles: RoleGrant[]): boolean {
    if (p.kind === 'local' || grants(p).some((g) => g.vaId === null)) return true;
    return roles.length > 0 && roles.every((r) => r.vaId !== null && grants(p).some((g) => covers(state, g.vaId, r.vaId!)));
  }

  /** May `p` see a user holding `roles`? Account-scope readers see all; VA admins, users within their VAs. */
  function seesUser(p: Principal, roles: RoleGrant[]): boolean {
    if (p.kind === 'local' || holding(p, 'users.read').some((g) => g.vaId === null)) return true;
    return withinVaGrants(p, 'users.read', roles);
  }

  /** May `p` add, edit, delete or set the password of a user holding `roles`? */
  function managesUser(p: Principal, roles: RoleGrant[]): boolean {
    if (p.kind === 'local' || holding(p, 'users.write').some((g) => g.vaId === null)) return true;
    return withinVaGrants(p, 'users.write', roles);
  }

  return {
    mayAtAll,
    sees,
    may,
    seesUser,
    managesUser,
    /**
     * Throws unless `p` may do `action` on `vaId`: an object outside the caller's VAs answers
     * 404 as if it did not exist; one in scope but not allowed answers 403 FORBIDDEN. `seen` is
     * the VA whose visibility decides between the two when it differs from `vaId` (a VA is
     * renamed or deleted with rights on its parent, but is out of scope only if unseen itself).
     */
    require(p: Principal, action: Action, vaId: string | null = null, seen: string | null = vaId): void {
      if (may(p, action, vaId)) return;
      if (seen !== null && !sees(p, seen)) throw notFound();
      throw forbidden();
    },
    /** Throws 403 unless `p` may do `action` somewhere: checked before reading a body that says where. */
    requireSome(p: Principal, action: Action): void {
      if (!mayAtAll(p, action)) throw forbidden();
    },
    /**
     * Throws unless `p` may do `action` (`users.read` or `users.write`) on a user holding `roles`.
     * A user is within a VA-scoped caller's reach when every role of theirs is a VA role inside
     * the caller's VAs; one outside answers 404 as if it did not exist (so a VA admin never sees a
     * user with an account role), one inside but not allowed 403.
     */
    requireUser(p: Principal, action: 'users.read' | 'users.write', roles: RoleGrant[]): void {
      if (!inReach(p, roles)) throw notFound();
      if (!(action === 'users.read' ? seesUser(p, roles) : managesUser(p, roles))) throw forbidden();
    },
    /**
     * Throws unless `p` may give a user `roles`: account-scope user managers give any; a VA
     * admin gives VA roles within its VAs — an account role is 403, a VA it cannot see 404.
     */
    requireGrantable(p: Principal, roles: RoleGrant[]): void {
      if (p.kind === 'local' || holding(p, 'users.write').some((g) => g.vaId === null)) return;
      for (const r of roles) {
        if (r.vaId === null) throw forbidden();
        if (!sees(p, r.vaId)) throw notFound();
        if (!may(p, 'users.write', r.vaId)) throw forbidden();
      }
    },
    /** The VA ids in which `p` may do `action`, or null for all of them. */
    scope(p: Principal, action: Action): Set<string> | null {
      if (p.kind === 'local') return null;
      const gs = holding(p, action);
      if (gs.some((g) => g.vaId === null) || (ACCOUNT_WIDE.has(action) && gs.length > 0)) return null;
      const out = new Set<string>();
      for (const g of gs) for (const id of state.vas.subtree(g.vaId!)) out.add(id);
      return out;
    },
    /** Does `p` act with account scope for `action` (so it sees account-level records)? */
    accountWide(p: Principal, action: Action): boolean {
      return p.kind === 'local' || holding(p, action).some((g) => g.vaId === null);
    },
  };
}

export type Access = ReturnType<typeof createAccess>;
