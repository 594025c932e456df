// Users and their roles. Usernames are unique regardless of case; passwords are scrypt hashes
// (never shown); a password set by someone else must be changed by its owner at next login.
// Who may manage whom is the access table's (`Access.requireUser`); this module keeps the rules
// about the records: names, limits, the last sa-admin, and an event for every change.
import { z } from 'zod';
import { OutpostError } from '../../errors.ts';
import { keys } from '../../store/index.ts';
import { grantBody, resolveGrants } from './grants.ts';
import { LIMITED_USE } from '../accounts/account.ts';
import type { Actor, DomainContext } from '../satellite/context.ts';
import { recordEvent } from '../satellite/events.ts';
import { newId } from '../satellite/ids.ts';
import { hashPassword } from './passwords.ts';
import type { StoredSessions } from './sessions.ts';
import type { Role, RoleGrant, UserRecord, UserSource } from '../satellite/records.ts';
import { parseBody } from '../satellite/validate.ts';
import { DEFAULT_PREFS, emailAddress, prefsPatch, type NotificationPrefs } from '../notify/audience.ts';

export const PASSWORD_MIN = 12;

/** Letters, digits and `.`, `_`, `@`, `-`; 1–64 characters, starting with a letter or digit. */
export const username = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/, 'expected 1–64 of A-Z, a-z, 0-9, ".", "_", "@" and "-", starting with a letter or digit');

/** Names the event log uses for actors that are not users. */
const RESERVED = new Set(['local', 'system', 'cloud']);

export const password = z
  .string()
  .min(PASSWORD_MIN, `must be at least ${PASSWORD_MIN} characters`)
  .max(1024)
  .refine((p) => new Set(p).size > 1, 'must not be one character repeated');

/** 400 naming `field` when the password is the username (regardless of case). */
export function refuseUsernameAsPassword(pw: string, name: string, field: string): void {
  if (pw.toLowerCase() === name.toLowerCase()) throw new OutpostError('INVALID_REQUEST', `Field ${JSON.stringify(field)}: must not be the username.`);
}

export { grantBody };

export const createUserBody = z.strictObject({
  username,
  password,
  roles: z.array(grantBody).min(1).max(32),
});

/** A user's notification settings (SPEC §10): an address and what to send to it. */
const notifyFields = {
  email: emailAddress.nullable().optional(),
  notifications: prefsPatch.optional(),
};

export const patchUserBody = z.strictObject({
  username: username.optional(),
  roles: z.array(grantBody).min(1).max(32).optional(),
  ...notifyFields,
});

/** PATCH /api/me: what users set for themselves. */
export const patchMeBody = z.strictObject(notifyFields);

export const passwordBody = z.strictObject({
  currentPassword: z.string().max(1024).optional(),
  newPassword: password,
});

export interface UserView {
  id: string;
  username: string;
  roles: Array<{ role: Role; virtualAccount: { id: string; path: string } | null }>;
  mustChangePassword: boolean;
  createdAt: string;
  /** Where the user comes from (SPEC §11): its password and roles are set here only for `local`. */
  source: UserSource;
  email: string | null;
  notifications: NotificationPrefs;
}

/** A user's notification settings, with the defaults for a record that has none. */
export const prefsOf = (u: UserRecord): { email: string | null; notifications: NotificationPrefs } => ({
  email: u.email ?? null,
  notifications: { ...DEFAULT_PREFS, ...u.notifications },
});

/** Checks a caller's rights: throws unless it may manage a user holding `roles`. */
export type AuthorizeUser = (roles: RoleGrant[]) => void;

/** Sets `email` and `notifications` from a PATCH body on `next`, noting what changed. */
function applyNotifySettings(
  next: UserRecord,
  input: { email?: string | null | undefined; notifications?: Partial<NotificationPrefs> | undefined },
  changes: Record<string, { from: unknown; to: unknown }>,
): void {
  const before = prefsOf(next);
  if (input.email !== undefined && input.email !== before.email) {
    next.email = input.email;
    changes.email = { from: before.email, to: input.email };
  }
  if (input.notifications !== undefined) {
    const to = { ...before.notifications, ...input.notifications };
    if (to.alerts !== before.notifications.alerts || to.summary !== before.notifications.summary) {
      next.notifications = to;
      changes.notifications = { from: before.notifications, to };
    }
  }
}

export function createUsers(
  ctx: DomainContext,
  deps: {
    sessions: StoredSessions;
    /** Told once a user changed their own password (the initial admin's file is removed then). */
    onOwnPasswordChanged?: (user: UserRecord) => void;
  },
) {
  const { state } = ctx;

  const view = (u: UserRecord): UserView => ({
    id: u.id,
    username: u.username,
    roles: u.roles.map((g) => ({ role: g.role, virtualAccount: g.vaId === null ? null : state.vaRef(g.vaId) })),
    mustChangePassword: u.mustChangePassword,
    createdAt: u.createdAt,
    source: u.source ?? 'local',
    ...prefsOf(u),
  });

  /** The VA an event about a user with `roles` belongs to: their VAs' common ancestor, or null when any role is account-wide. */
  const eventVa = (roles: RoleGrant[]): string | null => {
    if (roles.length === 0 || roles.some((g) => g.vaId === null)) return null;
    let common: string[] | null = null;
    for (const g of roles) {
      const chain: string[] = [];
      for (let id: string | null = g.vaId; id !== null; id = state.vas.get(id)?.parentId ?? null) chain.unshift(id);
      common = common === null ? chain : common.slice(0, commonPrefix(common, chain));
    }
    return common && common.length > 0 ? common[common.length - 1]! : null;
  };

  const assertVasExist = async (tx: { get: (k: string) => Promise<unknown> }, roles: RoleGrant[]) => {
    for (const g of roles) {
      if (g.vaId !== null && !(await tx.get(keys.va(g.vaId)))) throw new OutpostError('NOT_FOUND', `No virtual account ${JSON.stringify(g.vaId)}.`);
    }
  };

  const isAdmin = (u: UserRecord) => u.roles.some((g) => g.role === 'sa-admin' && g.vaId === null);
  const assertNotLastAdmin = (u: UserRecord) => {
    if (!isAdmin(u)) return;
    for (const other of state.users.values()) if (other.id !== u.id && isAdmin(other)) return;
    throw new OutpostError('LAST_ADMIN', `${u.username} is the last sa-admin; make another user sa-admin first.`);
  };

  const assertNameFree = async (tx: { get: (k: string) => Promise<unknown> }, name: string, exceptId?: string) => {
    if (RESERVED.has(name.toLowerCase())) throw new OutpostError('NAME_TAKEN', `The username ${JSON.stringify(name)} is reserved.`);
    const holder = await tx.get(keys.username(name.toLowerCase()));
    if (holder !== undefined && holder !== exceptId) throw new OutpostError('NAME_TAKEN', `The username ${JSON.stringify(name)} is taken.`);
  };

  return {
    view,
    eventVa,

    get(id: string): UserRecord {
      const u = state.users.get(id);
      if (!u) throw new OutpostError('NOT_FOUND', `No user ${JSON.stringify(id)}.`);
      return u;
    },

    /** The users `visible` admits, sorted by username (ignoring case). */
    list(visible: (u: UserRecord) => boolean): UserView[] {
      const out: UserRecord[] = [];
      for (const u of state.users.values()) if (visible(u)) out.push(u);
      return out.sort((a, b) => cmp(a.username.toLowerCase(), b.username.toLowerCase())).map(view);
    },

    /** POST: a user whose password the creator set, so it must be changed at first login. */
    async create(body: unknown, actor: Actor, authorize: AuthorizeUser): Promise<UserView> {
      const input = parseBody(createUserBody, body);
      refuseUsernameAsPassword(input.password, input.username, 'password');
      const roles = resolveGrants(state, input.roles);
      authorize(roles);
      const now = ctx.clock();
      const user: UserRecord = {
        id: newId('usr'),
        username: input.username,
        roles,
        passwordHash: await hashPassword(input.password),
        mustChangePassword: true,
        createdAt: now.toISOString(),
      };
      await ctx.writer.run(
        async (tx) => {
          await assertNameFree(tx, user.username);
          if (state.account.type === 'limited-use' && state.users.size >= LIMITED_USE.users) {
            throw new OutpostError('LIMIT_REACHED', `A limited-use account holds at most ${LIMITED_USE.users} users.`);
          }
          await assertVasExist(tx, roles);
          tx.put(keys.user(user.id), user);
          tx.put(keys.username(user.username.toLowerCase()), user.id);
          recordEvent(tx, ctx, now, {
            actor,
            type: 'user.created',
            vaId: eventVa(roles),
            details: { userId: user.id, username: user.username, roles: grantsDetail(roles) },
          });
          tx.after(() => state.putUser(user));
        },
        { exclusive: true },
      );
      return view(user);
    },

    /** PATCH /api/me: a user's own address and notification settings. */
    async updateOwn(id: string, body: unknown, actor: Actor): Promise<UserView> {
      const input = parseBody(patchMeBody, body);
      const now = ctx.clock();
      const next = await ctx.writer.run(async (tx) => {
        const u = await tx.get<UserRecord>(keys.user(id));
        if (!u) throw new OutpostError('NOT_FOUND', `No user ${JSON.stringify(id)}.`);
        const next: UserRecord = { ...u };
        const changes: Record<string, { from: unknown; to: unknown }> = {};
        applyNotifySettings(next, input, changes);
        if (Object.keys(changes).length === 0) return u;
        tx.put(keys.user(id), next);
        recordEvent(tx, ctx, now, { actor, type: 'user.updated', vaId: eventVa(next.roles), details: { userId: id, username: next.username, changes } });
        tx.after(() => state.putUser(next));
        return next;
      });
      return view(next);
    },

    /** PATCH: rename and/or replace the roles. `authorize` is asked for the new roles too. */
    async update(id: string, body: unknown, actor: Actor, authorize: AuthorizeUser): Promise<UserView> {
      const input = parseBody(patchUserBody, body);
      const roles = input.roles === undefined ? undefined : resolveGrants(state, input.roles);
      if (roles) authorize(roles);
      const now = ctx.clock();
      const next = await ctx.writer.run(
        async (tx) => {
          const u = await tx.get<UserRecord>(keys.user(id));
          if (!u) throw new OutpostError('NOT_FOUND', `No user ${JSON.stringify(id)}.`);
          const next: UserRecord = { ...u };
          const changes: Record<string, { from: unknown; to: unknown }> = {};
          if (roles && (u.source ?? 'local') !== 'local') {
            throw new OutpostError('FORBIDDEN', `${u.username} comes from ${u.source === 'ldap' ? 'the directory' : 'single sign-on'}: its groups decide its roles.`);
          }
          if (input.username !== undefined && input.username !== u.username) {
            await assertNameFree(tx, input.username, u.id);
            next.username = input.username;
            changes.username = { from: u.username, to: input.username };
            if (input.username.toLowerCase() !== u.username.toLowerCase()) tx.del(keys.username(u.username.toLowerCase()));
            tx.put(keys.username(input.username.toLowerCase()), u.id);
          }
          if (roles && JSON.stringify(grantsDetail(roles)) !== JSON.stringify(grantsDetail(u.roles))) {
            await assertVasExist(tx, roles);
            if (!isAdmin({ ...u, roles })) assertNotLastAdmin(u);
            next.roles = roles;
            changes.roles = { from: grantsDetail(u.roles), to: grantsDetail(roles) };
            // A role change ends every session of the user (SPEC §11), in this batch.
            deps.sessions.endUserInTx(tx, id);
          }
          applyNotifySettings(next, input, changes);
          if (Object.keys(changes).length === 0) return u;
          tx.put(keys.user(id), next);
          recordEvent(tx, ctx, now, {
            actor,
            type: 'user.updated',
            vaId: eventVa([...u.roles, ...next.roles]),
            details: { userId: id, username: next.username, changes },
          });
          tx.after(() => state.putUser(next));
          return next;
        },
        { exclusive: true },
      );
      return view(next);
    },

    async remove(id: string, actor: Actor): Promise<void> {
      const now = ctx.clock();
      await ctx.writer.run(
        async (tx) => {
          const u = await tx.get<UserRecord>(keys.user(id));
          if (!u) throw new OutpostError('NOT_FOUND', `No user ${JSON.stringify(id)}.`);
          assertNotLastAdmin(u);
          tx.del(keys.user(id));
          tx.del(keys.username(u.username.toLowerCase()));
          if (u.externalId && 'sub' in u.externalId) tx.del(keys.externalUser('oidc', u.externalId.iss, u.externalId.sub));
          if (u.source === 'ldap') tx.del(keys.externalUser('ldap', u.username.toLowerCase()));
          deps.sessions.endUserInTx(tx, id);
          recordEvent(tx, ctx, now, { actor, type: 'user.deleted', vaId: eventVa(u.roles), details: { userId: id, username: u.username } });
          tx.after(() => state.deleteUser(id));
        },
        { exclusive: true },
      );
    },

    /**
     * Sets a user's password. `self`: the owner changed it (having proved the current one), so
     * it need not be changed again, and the owner's other sessions end; otherwise the owner must
     * change it at next login and all their sessions end.
     */
    async setPassword(id: string, newPassword: string, actor: Actor, opts: { self: boolean; keepSession?: string }): Promise<UserView> {
      const owner = state.users.get(id);
      if (owner) refuseUsernameAsPassword(newPassword, owner.username, 'newPassword');
      const passwordHash = await hashPassword(newPassword);
      const now = ctx.clock();
      const next = await ctx.writer.run(async (tx) => {
        const u = await tx.get<UserRecord>(keys.user(id));
        if (!u) throw new OutpostError('NOT_FOUND', `No user ${JSON.stringify(id)}.`);
        if ((u.source ?? 'local') !== 'local') throw new OutpostError('FORBIDDEN', `${u.username}'s password is kept by its directory or provider.`);
        const next: UserRecord = { ...u, passwordHash, mustChangePassword: !opts.self };
        tx.put(keys.user(id), next);
        recordEvent(tx, ctx, now, {
          actor,
          type: 'user.password_changed',
          vaId: eventVa(u.roles),
          details: { userId: id, username: u.username, self: opts.self },
        });
        deps.sessions.endUserInTx(tx, id, opts.self ? opts.keepSession : undefined);
        tx.after(() => {
          state.putUser(next);
          if (opts.self) deps.onOwnPasswordChanged?.(next);
        });
        return next;
      });
      return view(next);
    },
  };
}

const grantsDetail = (roles: RoleGrant[]) => roles.map((g) => ({ role: g.role, vaId: g.vaId }));
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function commonPrefix(a: string[], b: string[]): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

export type Users = ReturnType<typeof createUsers>;
