// Role grants as users and API tokens are given them: the request's shape and its checks, one
// rule for both (a VA role names a VA, an account role does not; the same grant twice is one).
import { z } from 'zod';
import { OutpostError } from '../../errors.ts';
import type { Role, RoleGrant } from '../satellite/records.ts';
import type { State } from '../satellite/state.ts';
import { ACCOUNT_ROLES, ROLES, VA_ROLES } from './roles.ts';

export const grantBody = z.strictObject({
  role: z.enum(ROLES as [Role, ...Role[]]),
  virtualAccountId: z.string().min(1).max(1024).nullable().optional(),
});

/** Resolves and checks grants (`roles.<i>` in errors): the VA by id or path, duplicates folded. */
export function resolveGrants(state: Pick<State, 'resolveVa'>, input: ReadonlyArray<z.infer<typeof grantBody>>): RoleGrant[] {
  const out: RoleGrant[] = [];
  input.forEach((g, i) => {
    const ref = g.virtualAccountId ?? null;
    if (ACCOUNT_ROLES.has(g.role) && ref !== null) {
      throw new OutpostError('INVALID_REQUEST', `Field "roles.${i}.virtualAccountId": ${g.role} is an account role and takes no virtual account.`);
    }
    if (VA_ROLES.has(g.role) && ref === null) {
      throw new OutpostError('INVALID_REQUEST', `Field "roles.${i}.virtualAccountId" is required: ${g.role} is a virtual-account role.`);
    }
    const vaId = ref === null ? null : state.resolveVa(ref).id;
    if (!out.some((o) => o.role === g.role && o.vaId === vaId)) out.push({ role: g.role, vaId });
  });
  return out;
}
