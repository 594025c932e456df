// Who is logged in and what their roles let them do. The role table is the daemon's own
// (daemon/domain/access/roles.ts), so the dashboard hides exactly what the API would refuse; the API
// still decides.
import { ROLE_ACTIONS, type Action } from '../../daemon/domain/access/roles.ts';
import type { Me, VaRef } from './types.ts';

export type { Action };

export class Session {
  constructor(readonly me: Me) {}

  /** May the user do `action` somewhere (in at least one VA, or account-wide)? */
  canAny(action: Action): boolean {
    return this.me.roles.some((g) => ROLE_ACTIONS[g.role].has(action));
  }

  /** May the user do `action` account-wide (not only inside some VAs)? */
  canAccount(action: Action): boolean {
    return this.me.roles.some((g) => g.virtualAccount === null && ROLE_ACTIONS[g.role].has(action));
  }

  /** May the user do `action` on this VA (a VA-scoped grant covers its VA and every VA below)? */
  canIn(action: Action, va: VaRef | null | undefined): boolean {
    return this.me.roles.some((g) => {
      if (!ROLE_ACTIONS[g.role].has(action)) return false;
      if (g.virtualAccount === null) return true;
      if (!va) return false;
      return va.path === g.virtualAccount.path || va.path.startsWith(`${g.virtualAccount.path}/`);
    });
  }

  get roleSummary(): string {
    return this.me.roles.map((g) => (g.virtualAccount ? `${g.role} (${g.virtualAccount.path})` : g.role)).join(', ');
  }
}
