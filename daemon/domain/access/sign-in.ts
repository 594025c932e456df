// Signing in (SPEC §4, §11): a local password, a directory (LDAP) password, or single sign-on, each
// ending in a session kept in the store. Throttled per username and client address, the same scrypt
// cost whether or not a local user exists, every failure one `user.login_failed` event. Directory
// and SSO users are created at their first login and get their roles from their groups at every
// login; a user of one source never signs in as a user of another.
import { z } from 'zod';
import { OutpostError } from '../../errors.ts';
import { keys } from '../../store/keys.ts';
import type { Tx } from '../../store/index.ts';
import { LIMITED_USE } from '../accounts/account.ts';
import type { DomainContext } from '../satellite/context.ts';
import { recordEvent } from '../satellite/events.ts';
import { newId } from '../satellite/ids.ts';
import type { LoginThrottle } from './login-throttle.ts';
import { DUMMY_HASH, verifyPassword } from './passwords.ts';
import type { RoleGrant, UserRecord, UserSource } from '../satellite/records.ts';
import { parseBody, text } from '../satellite/validate.ts';
import { rolesFromGroups, type RoleMapEntry } from './role-map.ts';
import type { StoredSession, StoredSessions } from './sessions.ts';

export const loginBody = z.strictObject({
  username: text(1, 256),
  password: z.string().min(1).max(1024),
});

/** The username rule (users.ts states it for the API; here for names from elsewhere). */
const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
/** Names the event log uses for actors that are not users. */
const RESERVED = new Set(['local', 'system', 'cloud']);

/** The directory port (daemon/directory/ldap.ts implements it). */
export interface DirectoryPort {
  authenticate(username: string, password: string): Promise<{ dn: string; groups: string[] } | null>;
}

/** The SSO port (daemon/directory/oidc.ts implements it). */
export interface SsoPort {
  begin(): Promise<{ url: string; cookie: string }>;
  finish(callbackUrl: URL, cookie: string | undefined): Promise<{ iss: string; sub: string; username: unknown; groups: string[] }>;
}

/** Tells a refused SSO callback (SsoRefused) from any other failure. */
export type IsRefusal = (err: unknown) => err is Error & { reason: string };

export interface SignInDeps {
  sessions: StoredSessions;
  throttle: LoginThrottle;
  /** The VA an event about this user belongs to (see Users.eventVa). */
  eventVa: (u: UserRecord) => string | null;
  ldap: { directory: DirectoryPort; roleMap: readonly RoleMapEntry[] } | null;
  oidc: { sso: SsoPort; roleMap: readonly RoleMapEntry[]; isRefusal: IsRefusal } | null;
}

export interface ClientInfo {
  address: string;
  agent: string;
}

export interface SignedIn {
  user: UserRecord;
  /** The session id to hand to the client (never stored). */
  id: string;
  session: StoredSession;
}

const wrong = () => new OutpostError('UNAUTHENTICATED', 'Wrong username or password.');

export function createSignIn(ctx: DomainContext, deps: SignInDeps) {
  const { state } = ctx;

  const resolveVa = (ref: string): string | null => {
    try {
      return state.resolveVa(ref).id;
    } catch {
      return null;
    }
  };

  async function failed(actor: string, client: ClientInfo, reason: string, lockedUntil: number | null, vaId: string | null = null, source?: UserSource): Promise<void> {
    const now = ctx.clock();
    await ctx.writer.run((tx) => {
      recordEvent(tx, ctx, now, {
        actor,
        type: 'user.login_failed',
        vaId,
        details: { address: client.address, reason, ...(source ? { source } : {}), ...(lockedUntil !== null ? { throttledUntil: new Date(lockedUntil).toISOString() } : {}) },
      });
    });
  }

  const throttled = (retryAfter: number) =>
    new OutpostError('LOGIN_THROTTLED', `Too many failed logins; try again in ${Math.ceil(retryAfter / 60)} minutes.`, { headers: { 'Retry-After': String(retryAfter) } });

  /** Stages the login: the session and its event in one batch. */
  const startSession = (tx: Tx, user: UserRecord, client: ClientInfo, source: UserSource) => {
    const started = deps.sessions.startInTx(tx, user.id, client);
    recordEvent(tx, ctx, ctx.clock(), { actor: user.username, type: 'user.login', vaId: deps.eventVa(user), details: { address: client.address, source } });
    return started;
  };

  /**
   * Finds or creates the user a directory or provider vouches for, sets its roles from its groups,
   * and starts its session — all in one batch. `key` identifies it within its source.
   */
  async function signInExternal(source: 'ldap' | 'oidc', key: string, name: string, roles: RoleGrant[], externalId: UserRecord['externalId'], client: ClientInfo): Promise<SignedIn> {
    const now = ctx.clock();
    return ctx.writer.run(
      async (tx) => {
        const xkey = source === 'ldap' ? keys.externalUser('ldap', key) : keys.externalUser('oidc', ...key.split('\u0000'));
        const existingId = await tx.get<string>(xkey);
        const existing = existingId === undefined ? undefined : await tx.get<UserRecord>(keys.user(existingId));
        const holder = await tx.get<string>(keys.username(name.toLowerCase()));
        if (RESERVED.has(name.toLowerCase()) || (holder !== undefined && holder !== existing?.id)) {
          throw new OutpostError('NAME_TAKEN', `The username ${JSON.stringify(name)} is held by another user; ask an administrator.`);
        }
        let user: UserRecord;
        if (existing) {
          user = { ...existing, username: name, roles, externalId };
          if (existing.username.toLowerCase() !== name.toLowerCase()) tx.del(keys.username(existing.username.toLowerCase()));
          const changed = JSON.stringify(existing.roles) !== JSON.stringify(roles) || existing.username !== name;
          tx.put(keys.user(user.id), user);
          tx.put(keys.username(name.toLowerCase()), user.id);
          if (changed) {
            recordEvent(tx, ctx, now, {
              actor: name,
              type: 'user.updated',
              vaId: deps.eventVa(user),
              details: { userId: user.id, username: name, source, changes: { roles: { from: existing.roles, to: roles }, ...(existing.username !== name ? { username: { from: existing.username, to: name } } : {}) } },
            });
          }
        } else {
          if (state.account.type === 'limited-use' && state.users.size >= LIMITED_USE.users) {
            throw new OutpostError('LIMIT_REACHED', `A limited-use account holds at most ${LIMITED_USE.users} users.`);
          }
          user = { id: newId('usr'), username: name, roles, source, externalId, passwordHash: '', mustChangePassword: false, createdAt: now.toISOString() };
          tx.put(keys.user(user.id), user);
          tx.put(keys.username(name.toLowerCase()), user.id);
          tx.put(xkey, user.id);
          recordEvent(tx, ctx, now, {
            actor: name,
            type: 'user.created',
            vaId: deps.eventVa(user),
            details: { userId: user.id, username: name, source, roles: roles.map((g) => ({ role: g.role, vaId: g.vaId })) },
          });
        }
        const final = user;
        tx.after(() => state.putUser(final));
        const { id, session } = startSession(tx, final, client, source);
        return { user: final, id, session };
      },
      { exclusive: true },
    );
  }

  return {
    /**
     * POST /api/login: a local user by password; otherwise, when a directory is configured, a
     * directory user by a bind as its entry. A new session (a new id) at every login.
     */
    async login(body: unknown, client: ClientInfo): Promise<SignedIn> {
      const input = parseBody(loginBody, body);
      const name = input.username;
      const attempt = deps.throttle.begin(name, client.address);
      if ('retryAfter' in attempt) throw throttled(attempt.retryAfter);
      let outcome: 'ok' | 'failed' | 'aborted' = 'aborted';
      let reason = 'login';
      let source: UserSource = 'local';
      let user: UserRecord | undefined;
      try {
        const id = await ctx.store.get<string>(keys.username(name.toLowerCase()));
        user = id === undefined ? undefined : state.users.get(id);
        const local = user !== undefined && (user.source ?? 'local') === 'local';
        if (local || deps.ldap === null || (user !== undefined && user.source !== 'ldap')) {
          // An unknown user, or one from elsewhere, costs the same scrypt time as a wrong password.
          const ok = (await verifyPassword(input.password, local ? user!.passwordHash : DUMMY_HASH)) && local;
          outcome = ok ? 'ok' : 'failed';
          if (ok) {
            const u = user!;
            return await ctx.writer.run((tx) => ({ user: u, ...startSession(tx, u, client, 'local') }));
          }
          throw wrong();
        }
        source = 'ldap';
        const entry = await deps.ldap.directory.authenticate(name, input.password);
        if (entry === null) {
          outcome = 'failed';
          throw wrong();
        }
        const roles = rolesFromGroups(entry.groups, deps.ldap.roleMap, { dn: true, resolveVa });
        if (roles.length === 0) {
          outcome = 'failed';
          reason = 'no-role';
          throw new OutpostError('NO_ROLE', 'You are in no directory group that Outpost maps to a role.');
        }
        if (!USERNAME.test(name)) {
          outcome = 'failed';
          reason = 'bad-name';
          throw new OutpostError('INVALID_REQUEST', 'The directory username does not fit the username rule (letters, digits, ".", "_", "@", "-").');
        }
        try {
          const signed = await signInExternal('ldap', name.toLowerCase(), name, roles, { dn: entry.dn }, client);
          outcome = 'ok';
          return signed;
        } catch (err) {
          if (err instanceof OutpostError && (err.code === 'NAME_TAKEN' || err.code === 'LIMIT_REACHED')) {
            outcome = 'failed';
            reason = err.code === 'NAME_TAKEN' ? 'name-taken' : 'limit-reached';
          }
          throw err;
        }
      } finally {
        if (outcome === 'ok') attempt.done(true);
        // A directory that is down says nothing of the password: it counts toward no throttle.
        else if (outcome === 'aborted') attempt.abandon();
        else await failed(name, client, reason, attempt.done(false).lockedUntil, user ? deps.eventVa(user) : null, source);
      }
    },

    /** GET /api/sso/login: where to send the browser, and the single-use cookie to set. */
    async ssoBegin(): Promise<{ url: string; cookie: string }> {
      if (!deps.oidc) throw new OutpostError('NOT_FOUND', 'Single sign-on is not configured.');
      return deps.oidc.sso.begin();
    },

    /** GET /api/sso/callback: the provider's answer, checked; a session for the user it names. */
    async ssoFinish(callbackUrl: URL, cookie: string | undefined, client: ClientInfo): Promise<SignedIn> {
      if (!deps.oidc) throw new OutpostError('NOT_FOUND', 'Single sign-on is not configured.');
      // No username is known before the answer is checked: an SSO callback counts toward the
      // client address's limit (20) only, under a key of its own that no other attempt shares.
      const attempt = deps.throttle.begin(`sso#${newId('att')}`, client.address);
      if ('retryAfter' in attempt) throw throttled(attempt.retryAfter);
      let actor = 'sso';
      let reason = '';
      try {
        let who;
        try {
          who = await deps.oidc.sso.finish(callbackUrl, cookie);
        } catch (err) {
          if (deps.oidc.isRefusal(err)) {
            reason = err.reason;
            throw new OutpostError('UNAUTHENTICATED', 'The single sign-on answer was refused; sign in again.');
          }
          throw err;
        }
        const name = typeof who.username === 'string' ? who.username : '';
        if (!USERNAME.test(name)) {
          reason = 'bad-name';
          throw new OutpostError('INVALID_REQUEST', 'The provider\'s username claim does not fit the username rule (letters, digits, ".", "_", "@", "-").');
        }
        actor = name;
        const roles = rolesFromGroups(who.groups, deps.oidc.roleMap, { dn: false, resolveVa });
        if (roles.length === 0) {
          reason = 'no-role';
          throw new OutpostError('NO_ROLE', 'You are in no group that Outpost maps to a role.');
        }
        try {
          const signed = await signInExternal('oidc', `${who.iss}\u0000${who.sub}`, name, roles, { iss: who.iss, sub: who.sub }, client);
          attempt.done(true);
          return signed;
        } catch (err) {
          if (err instanceof OutpostError && (err.code === 'NAME_TAKEN' || err.code === 'LIMIT_REACHED')) reason = err.code === 'NAME_TAKEN' ? 'name-taken' : 'limit-reached';
          throw err;
        }
      } finally {
        if (reason !== '') await failed(actor, client, reason, attempt.done(false).lockedUntil, null, 'oidc');
        else attempt.done(true);
      }
    },

    /** POST /api/logout: ends the session a client's id names, if it is live, and records it. */
    async logout(id: string): Promise<void> {
      const s = deps.sessions.peek(id);
      const user = s ? state.users.get(s.userId) : undefined;
      const now = ctx.clock();
      await ctx.writer.run((tx) => {
        const ended = deps.sessions.endInTx(tx, id);
        if (ended && user) recordEvent(tx, ctx, now, { actor: user.username, type: 'user.logout', vaId: deps.eventVa(user), details: {} });
      });
    },

    /** Ends the session a client came with when it logs in again (no fixation); no event, as no one logged out. */
    async discard(id: string): Promise<void> {
      if (!deps.sessions.peek(id)) return;
      await ctx.writer.run((tx) => void deps.sessions.endInTx(tx, id));
    },

    /** "Sign out everywhere": ends every session of `user` (the caller's own too) with one event. */
    async endAll(user: UserRecord, actor: string): Promise<number> {
      const now = ctx.clock();
      return ctx.writer.run((tx) => {
        const n = deps.sessions.endUserInTx(tx, user.id);
        recordEvent(tx, ctx, now, { actor, type: 'user.sessions_ended', vaId: deps.eventVa(user), details: { userId: user.id, username: user.username, sessions: n } });
        return n;
      });
    },

    /** A user proving their current password before changing it; throttled and recorded as a login. */
    async proveOwnPassword(user: UserRecord, password: string | undefined, client: ClientInfo): Promise<void> {
      if ((user.source ?? 'local') !== 'local') throw new OutpostError('FORBIDDEN', 'This user\'s password is kept by its directory or provider.');
      if (password === undefined) throw new OutpostError('INVALID_REQUEST', 'Field "currentPassword" is required to change your own password.');
      const attempt = deps.throttle.begin(user.username, client.address);
      if ('retryAfter' in attempt) throw throttled(attempt.retryAfter);
      const ok = await verifyPassword(password, user.passwordHash);
      if (ok) {
        attempt.done(true);
        return;
      }
      await failed(user.username, client, 'password-change', attempt.done(false).lockedUntil, deps.eventVa(user));
      throw new OutpostError('FORBIDDEN', 'The current password is wrong.');
    },
  };
}

export type SignIn = ReturnType<typeof createSignIn>;
