// API tokens (SPEC §11): `oat_` + 256 random bits, shown once and kept only as their SHA-256, so
// checking a request costs one fast hash and one map lookup (a slow password hash adds nothing
// against a secret that cannot be guessed). A token's rights are re-computed at every request from
// its creator's current roles (rights.ts); `lastUsedAt` is kept in memory and written in one batch
// per flush, not one write per request.
import { z } from 'zod';
import { OutpostError } from '../../errors.ts';
import { keys } from '../../store/keys.ts';
import type { Access } from './roles.ts';
import { ROLE_ACTIONS } from './roles.ts';
import { grantBody, resolveGrants } from './grants.ts';
import { DAY_MS } from '../satellite/clock.ts';
import type { Actor, DomainContext } from '../satellite/context.ts';
import { recordEvent } from '../satellite/events.ts';
import { newId, sha256 } from '../satellite/ids.ts';
import type { LoginThrottle } from './login-throttle.ts';
import type { ApiTokenRecord, Role, RoleGrant, UserRecord } from '../satellite/records.ts';
import { parseBody, text } from '../satellite/validate.ts';
import { randomBytes } from 'node:crypto';

export const API_TOKEN_PREFIX = 'oat_';
/** `oat_` and 43 base64url characters (32 bytes). */
const SECRET_RE = /^oat_[A-Za-z0-9_-]{43}$/;

export const createApiTokenBody = z.strictObject({
  name: text(1, 128),
  roles: z.array(grantBody).min(1).max(32),
  expiresInDays: z.int().min(1).max(365),
});

export interface ApiTokenView {
  id: string;
  name: string;
  roles: Array<{ role: Role; virtualAccount: { id: string; path: string } | null }>;
  expiresAt: string;
  /** The creator's username now (or as it was, if the creator is gone). */
  createdBy: string;
  createdAt: string;
  lastUsedAt: string | null;
}

/** A request's token and the user whose current rights bound it. */
export interface TokenPrincipal {
  kind: 'token';
  token: ApiTokenRecord;
  user: UserRecord;
}

export interface ApiTokenDeps {
  access: Access;
  throttle: LoginThrottle;
}

export function createApiTokens(ctx: DomainContext, deps: ApiTokenDeps) {
  const { state } = ctx;
  const byId = new Map<string, ApiTokenRecord>();
  const byHash = new Map<string, ApiTokenRecord>();
  /** Uses since the last flush: token id → ms. */
  const used = new Map<string, number>();

  const lastUsed = (t: ApiTokenRecord): string | null => {
    const ms = used.get(t.id);
    return ms === undefined ? t.lastUsedAt : new Date(ms).toISOString();
  };

  const view = (t: ApiTokenRecord): ApiTokenView => ({
    id: t.id,
    name: t.name,
    roles: t.roles.map((g) => ({ role: g.role, virtualAccount: g.vaId === null ? null : state.vaRef(g.vaId) })),
    expiresAt: t.expiresAt,
    createdBy: state.users.get(t.userId)?.username ?? t.userId,
    createdAt: t.createdAt,
    lastUsedAt: lastUsed(t),
  });

  /** Refuses roles whose actions `creator` does not hold where they apply: 404 for a VA it cannot see, else 403. */
  const requireWithinCreator = (creator: UserRecord, roles: RoleGrant[]) => {
    const p = { kind: 'user' as const, user: creator };
    for (const g of roles) {
      if (g.vaId !== null && !deps.access.sees(p, g.vaId)) throw new OutpostError('NOT_FOUND', `No virtual account ${JSON.stringify(g.vaId)}.`);
      for (const action of ROLE_ACTIONS[g.role]) {
        if (!deps.access.may(p, action, g.vaId)) {
          throw new OutpostError('FORBIDDEN', `${creator.username} does not hold every action of ${g.role} there, so a token cannot.`);
        }
      }
    }
  };

  const remember = (t: ApiTokenRecord) => {
    byId.set(t.id, t);
    byHash.set(t.hash, t);
  };
  const forget = (t: ApiTokenRecord) => {
    byId.delete(t.id);
    byHash.delete(t.hash);
    used.delete(t.id);
  };

  async function refuse(actor: string, reason: string, address: string, lockedUntil: number | null): Promise<never> {
    const now = ctx.clock();
    await ctx.writer.run((tx) => {
      recordEvent(tx, ctx, now, {
        actor,
        type: 'api_token.auth_failed',
        vaId: null,
        details: { address, reason, ...(lockedUntil !== null ? { throttledUntil: new Date(lockedUntil).toISOString() } : {}) },
      });
    });
    throw new OutpostError('UNAUTHENTICATED', 'The API token is not valid.');
  }

  return {
    view,

    /** Reads the tokens from the store; call once before serving. */
    async open(): Promise<void> {
      for await (const [, t] of ctx.store.iterate<ApiTokenRecord>({ gte: keys.apiTokenPrefix, lt: keys.apiTokenPrefix + '\uffff' })) remember(t);
    },

    get size(): number {
      return byId.size;
    },

    /**
     * POST /api/api-tokens, or the CLI's `api-token create --user`: a token for `creator`, whose
     * current rights bound the roles asked for. Answers the secret as `token`, this once.
     */
    async create(body: unknown, creator: UserRecord, actor: Actor): Promise<ApiTokenView & { token: string }> {
      const input = parseBody(createApiTokenBody, body);
      if ((creator.source ?? 'local') !== 'local') {
        throw new OutpostError('FORBIDDEN', 'Directory and SSO users cannot make API tokens: their rights are known only at login.');
      }
      const roles = resolveGrants(state, input.roles);
      requireWithinCreator(creator, roles);
      const now = ctx.clock();
      const secret = API_TOKEN_PREFIX + randomBytes(32).toString('base64url');
      const record: ApiTokenRecord = {
        id: newId('atk'),
        name: input.name,
        hash: sha256(secret),
        roles,
        userId: creator.id,
        createdAt: now.toISOString(),
        expiresAt: new Date(now.getTime() + input.expiresInDays * DAY_MS).toISOString(),
        lastUsedAt: null,
      };
      await ctx.writer.run(
        async (tx) => {
          if (!(await tx.get(keys.user(creator.id)))) throw new OutpostError('NOT_FOUND', `No user ${JSON.stringify(creator.id)}.`);
          for (const g of roles) {
            if (g.vaId !== null && !(await tx.get(keys.va(g.vaId)))) throw new OutpostError('NOT_FOUND', `No virtual account ${JSON.stringify(g.vaId)}.`);
          }
          tx.put(keys.apiToken(record.id), record);
          tx.put(keys.apiTokenHash(record.hash), record.id);
          recordEvent(tx, ctx, now, {
            actor,
            type: 'api_token.created',
            vaId: null,
            details: { tokenId: record.id, name: record.name, userId: creator.id, username: creator.username, roles: roles.map((g) => ({ role: g.role, vaId: g.vaId })), expiresAt: record.expiresAt },
          });
          tx.after(() => remember(record));
        },
        { exclusive: true },
      );
      return { ...view(record), token: secret };
    },

    /** The tokens `visible` admits, newest first. */
    list(visible: (t: ApiTokenRecord) => boolean): ApiTokenView[] {
      return [...byId.values()]
        .filter(visible)
        .sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id < b.id ? 1 : -1))
        .map(view);
    },

    get(id: string): ApiTokenRecord {
      const t = byId.get(id);
      if (!t) throw new OutpostError('NOT_FOUND', `No API token ${JSON.stringify(id)}.`);
      return t;
    },

    /** DELETE /api/api-tokens/:id: the token stops working at once; the record goes, its events stay. */
    async revoke(id: string, actor: Actor): Promise<void> {
      const now = ctx.clock();
      await ctx.writer.run(
        async (tx) => {
          const t = await tx.get<ApiTokenRecord>(keys.apiToken(id));
          if (!t) throw new OutpostError('NOT_FOUND', `No API token ${JSON.stringify(id)}.`);
          tx.del(keys.apiToken(id));
          tx.del(keys.apiTokenHash(t.hash));
          recordEvent(tx, ctx, now, { actor, type: 'api_token.revoked', vaId: null, details: { tokenId: id, name: t.name } });
          // Off the lookup before the batch is durable would let a revoked token in after a crash
          // only if the batch was lost, and then the revocation was lost too: forget it afterwards.
          tx.after(() => forget(byId.get(id) ?? t));
        },
        { exclusive: true },
      );
    },

    /**
     * `Authorization: Bearer oat_…`: the token and its creator, or 401 UNAUTHENTICATED after one
     * `api_token.auth_failed` event. Throttled per token and per client address like logins (§4).
     */
    async authenticate(secret: string, address: string): Promise<TokenPrincipal> {
      const t = SECRET_RE.test(secret) ? byHash.get(sha256(secret)) : undefined;
      const actor = `api-token:${t ? t.id : 'unknown'}`;
      // Guesses at unknown tokens are throttled per address (they name no token to lock).
      const attempt = deps.throttle.begin(t ? actor : `${actor}@${address}`, address);
      if ('retryAfter' in attempt) {
        throw new OutpostError('LOGIN_THROTTLED', `Too many failed attempts; try again in ${Math.ceil(attempt.retryAfter / 60)} minutes.`, {
          headers: { 'Retry-After': String(attempt.retryAfter) },
        });
      }
      const now = ctx.clock().getTime();
      const user = t ? state.users.get(t.userId) : undefined;
      const reason = !t ? 'unknown' : Date.parse(t.expiresAt) <= now ? 'expired' : !user ? 'creator-deleted' : null;
      if (reason !== null) return refuse(actor, reason, address, attempt.done(false).lockedUntil);
      attempt.done(true);
      used.set(t!.id, now);
      return { kind: 'token', token: t!, user: user! };
    },

    /** Uses not yet written. */
    get unflushed(): number {
      return used.size;
    },

    /**
     * Writes the `lastUsedAt` of tokens used since the last flush, in one batch (no event: it is
     * bookkeeping, not a change anyone made). Run by a job every minute and at shutdown.
     */
    async flushLastUsed(): Promise<number> {
      if (used.size === 0) return 0;
      const batch = [...used];
      used.clear();
      let n = 0;
      await ctx.writer.run(async (tx) => {
        for (const [id, ms] of batch) {
          const t = await tx.get<ApiTokenRecord>(keys.apiToken(id));
          if (!t) continue;
          const at = new Date(ms).toISOString();
          if (t.lastUsedAt !== null && t.lastUsedAt >= at) continue;
          const next = { ...t, lastUsedAt: at };
          tx.put(keys.apiToken(id), next);
          n++;
          tx.after(() => {
            if (byId.has(id)) remember(next);
          });
        }
      });
      return n;
    },
  };
}

export type ApiTokens = ReturnType<typeof createApiTokens>;
