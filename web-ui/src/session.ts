// Who is logged in and what their roles let them do. The role table is the daemon's own
// (daemon/domain/access/roles.ts), so the dashboard hides exactly what the API would refuse; the API
// still decides. It arrives as data in index.html (web-ui/build.ts writes it), never as daemon code
// in app.js: only types are imported from the daemon.
import type { Action } from '../../daemon/domain/access/roles.ts';
import type { Me, Role, VaRef } from './types.ts';

export type { Action };

/** The `<script type="application/json">` block of index.html that carries the role table. */
export const ROLE_TABLE_ID = 'outpost-roles';

type RoleTable = Partial<Record<Role, ReadonlySet<Action>>>;

let table: RoleTable | undefined;

/** The role table from index.html, read once; an unknown or missing role grants nothing. */
function roleTable(): RoleTable {
  if (table) return table;
  const json = document.getElementById(ROLE_TABLE_ID)?.textContent;
  const parsed = json ? (JSON.parse(json) as Partial<Record<Role, Action[]>>) : {};
  table = Object.fromEntries(Object.entries(parsed).map(([role, actions]) => [role, new Set(actions)])) as RoleTable;
  return table;
}

const grants = (role: Role, action: Action): boolean => roleTable()[role]?.has(action) ?? false;

export class Session {
  constructor(readonly me: Me) {}

  /** May the user do `action` somewhere (in at least one VA, or account-wide)? */
  canAny(action: Action): boolean {
    return this.me.roles.some((g) => grants(g.role, action));
  }

  /** May the user do `action` account-wide (not only inside some VAs)? */
  canAccount(action: Action): boolean {
    return this.me.roles.some((g) => g.virtualAccount === null && grants(g.role, action));
  }

  /** May the user do `action` on this VA (a VA-scoped grant covers its VA and every VA below)? */
  canIn(action: Action, va: VaRef | null | undefined): boolean {
    return this.me.roles.some((g) => {
      if (!grants(g.role, action)) return false;
      if (g.virtualAccount === null) return true;
      if (!va) return false;
      return va.path === g.virtualAccount.path || va.path.startsWith(`${g.virtualAccount.path}/`);
    });
  }

  get roleSummary(): string {
    return this.me.roles.map((g) => (g.virtualAccount ? `${g.role} (${g.virtualAccount.path})` : g.role)).join(', ');
  }
}
