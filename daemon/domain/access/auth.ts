// Logging in and proving one's password: throttled per username and per client address, the
// same scrypt cost whether or not the user exists, and every failure recorded as a
// `user.login_failed` event (actor: the username tried) — the only thing a failed request writes.
import { z } from 'zod';
import { OutpostError } from '../../errors.ts';
import { keys } from '../../store/index.ts';
import type { DomainContext } from '../satellite/context.ts';
import { recordEvent } from '../satellite/events.ts';
import type { LoginThrottle } from './login-throttle.ts';
import { DUMMY_HASH, verifyPassword } from './passwords.ts';
import type { Session, Sessions } from './sessions.ts';
import type { UserRecord } from '../satellite/records.ts';
import { parseBody, text } from '../satellite/validate.ts';

export const loginBody = z.strictObject({
  username: text(1, 256),
  password: z.string().min(1).max(1024),
});

export interface AuthDeps {
  sessions: Sessions;
  throttle: LoginThrottle;
  /** The VA an event about this user belongs to (see Users.eventVa). */
  eventVa: (u: UserRecord) => string | null;
}

export function createAuth(ctx: DomainContext, deps: AuthDeps) {
  const { state } = ctx;

  /**
   * Checks `password` for the user named `name` (any case). Throttled attempts answer 429
   * without checking; a failure is recorded and answers null.
   */
  async function check(name: string, password: string, address: string, reason: 'login' | 'password-change'): Promise<UserRecord | null> {
    const attempt = deps.throttle.begin(name, address);
    if ('retryAfter' in attempt) {
      throw new OutpostError('LOGIN_THROTTLED', `Too many failed logins; try again in ${Math.ceil(attempt.retryAfter / 60)} minutes.`, {
        headers: { 'Retry-After': String(attempt.retryAfter) },
      });
    }
    let user: UserRecord | undefined;
    let ok = false;
    try {
      const id = await ctx.store.get<string>(keys.username(name.toLowerCase()));
      user = id === undefined ? undefined : state.users.get(id);
      // An unknown user costs the same scrypt time as a wrong password.
      ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
      ok = ok && user !== undefined;
    } finally {
      const { lockedUntil } = attempt.done(ok);
      if (!ok) {
        const now = ctx.clock();
        await ctx.writer.run((tx) => {
          recordEvent(tx, ctx, now, {
            actor: name,
            type: 'user.login_failed',
            vaId: user ? deps.eventVa(user) : null,
            details: { address, reason, ...(lockedUntil !== null ? { throttledUntil: new Date(lockedUntil).toISOString() } : {}) },
          });
        });
      }
    }
    return ok ? user! : null;
  }

  return {
    /** POST /api/login: a new session (a new id at every login) for the right password. */
    async login(body: unknown, address: string): Promise<{ user: UserRecord; id: string; session: Session }> {
      const input = parseBody(loginBody, body);
      const user = await check(input.username, input.password, address, 'login');
      if (!user) throw new OutpostError('UNAUTHENTICATED', 'Wrong username or password.');
      const { id, session } = deps.sessions.start(user.id);
      const now = ctx.clock();
      await ctx.writer.run((tx) => {
        recordEvent(tx, ctx, now, { actor: user.username, type: 'user.login', vaId: deps.eventVa(user), details: { address } });
      });
      return { user, id, session };
    },

    /** POST /api/logout: ends the session a client's id names, if it is live, and records it. */
    async logout(id: string): Promise<void> {
      const session = deps.sessions.end(id);
      const user = session ? state.users.get(session.userId) : undefined;
      if (!user) return;
      const now = ctx.clock();
      await ctx.writer.run((tx) => {
        recordEvent(tx, ctx, now, { actor: user.username, type: 'user.logout', vaId: deps.eventVa(user), details: {} });
      });
    },

    /** A user proving their current password before changing it; throttled and recorded as a login. */
    async proveOwnPassword(user: UserRecord, password: string | undefined, address: string): Promise<void> {
      if (password === undefined) throw new OutpostError('INVALID_REQUEST', 'Field "currentPassword" is required to change your own password.');
      if (!(await check(user.username, password, address, 'password-change'))) {
        throw new OutpostError('FORBIDDEN', 'The current password is wrong.');
      }
    },
  };
}

export type Auth = ReturnType<typeof createAuth>;
