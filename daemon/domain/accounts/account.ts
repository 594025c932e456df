// The Smart Account's properties: name, domain and type. The type can be set only before
// registration (then the cloud's profile sets it); `limited-use` caps users, VAs and tags.
import { z } from 'zod';
import { OutpostError } from '../../errors.ts';
import { keys } from '../../store/index.ts';
import type { Actor, DomainContext } from '../satellite/context.ts';
import { recordEvent } from '../satellite/events.ts';
import { daysUntilLapse } from '../satellite/status.ts';
import type { AccountRecord, AccountType, RegistrationState } from '../satellite/records.ts';
import { parseBody, text } from '../satellite/validate.ts';

/** What a `limited-use` account may hold (SPEC §4). */
export const LIMITED_USE = { users: 3, virtualAccounts: 3 } as const;

/** A DNS name of two or more labels, e.g. `example.com`; stored lower-cased. */
export const domainName = z
  .string()
  .max(253)
  .regex(
    /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/,
    'expected a domain name such as example.com',
  )
  .transform((s) => s.toLowerCase());

export const accountTypes = ['customer', 'partner-holding', 'limited-use'] as const;

export const patchAccountBody = z.strictObject({
  name: text(1, 128).optional(),
  domain: domainName.nullable().optional(),
  type: z.enum(accountTypes).optional(),
});

export interface AccountView {
  id: string | null;
  name: string;
  domain: string | null;
  type: AccountType;
  registration: RegistrationState;
  lastCloudContact: string | null;
  daysUntilLapse: number | null;
}

/** Why the account cannot become `limited-use` now, or null when it can. */
export function limitedUseRefusal(ctx: DomainContext): OutpostError | null {
  const { state } = ctx;
  if (state.users.size > LIMITED_USE.users) return limit(`it has ${state.users.size} users`);
  if (state.vas.size > LIMITED_USE.virtualAccounts) return limit(`it has ${state.vas.size} virtual accounts`);
  if (state.tagKeys.size > 0 || [...state.vas.values()].some((va) => Object.keys(va.tags).length > 0)) return limit('it uses tags');
  return null;
}

const limit = (why: string) =>
  new OutpostError('LIMIT_REACHED', `A limited-use account holds at most ${LIMITED_USE.users} users, ${LIMITED_USE.virtualAccounts} virtual accounts and no tags; ${why}.`);

export function createAccount(ctx: DomainContext) {
  const { state } = ctx;

  const view = (): AccountView => ({
    id: state.satellite.cloudAccountId,
    name: state.account.name,
    domain: state.account.domain,
    type: state.account.type,
    registration: state.satellite.registration,
    lastCloudContact: state.satellite.lastCloudContact,
    daysUntilLapse: daysUntilLapse(ctx, ctx.clock()),
  });

  return {
    view,

    /**
     * Applies a PATCH. `mayChangeType` throws when the caller's role may not set the type; it is
     * asked only when the type would change.
     */
    async update(body: unknown, actor: Actor, mayChangeType: () => void): Promise<AccountView> {
      const input = parseBody(patchAccountBody, body);
      if (input.type !== undefined && input.type !== state.account.type) mayChangeType();
      const now = ctx.clock();
      await ctx.writer.run(
        async (tx) => {
          const current = (await tx.get<AccountRecord>(keys.account))!;
          const next: AccountRecord = { ...current };
          if (input.name !== undefined) next.name = input.name;
          if (input.domain !== undefined) next.domain = input.domain;
          if (input.type !== undefined && input.type !== current.type) {
            if (state.satellite.registration !== 'unregistered') {
              throw new OutpostError('ACCOUNT_REGISTERED', 'The satellite is registered: the license cloud sets the account type.');
            }
            if (input.type === 'limited-use') {
              const refusal = limitedUseRefusal(ctx);
              if (refusal) throw refusal;
            }
            next.type = input.type;
          }
          const changes: Record<string, { from: unknown; to: unknown }> = {};
          for (const k of ['name', 'domain', 'type'] as const) {
            if (next[k] !== current[k]) changes[k] = { from: current[k], to: next[k] };
          }
          if (Object.keys(changes).length === 0) return;
          tx.put(keys.account, next);
          recordEvent(tx, ctx, now, { actor, type: 'account.updated', vaId: null, details: { changes } });
          tx.after(() => state.setAccount(next));
        },
        { exclusive: true },
      );
      return view();
    },
  };
}

export type Account = ReturnType<typeof createAccount>;
