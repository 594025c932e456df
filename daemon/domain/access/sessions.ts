// Admin sessions kept in the store (SPEC §11), so a restart logs no one out. The id is 256 random
// bits that only the client holds; the store and memory keep its SHA-256. A session ends after
// `idleMs` without use or `absoluteMs` after login, measured against `now()` — the later of the
// wall clock and the store's high-water mark of time, so setting the clock back revives none.
// Starting and ending sessions go through the writer, ending ones in the same batch as the change
// that ends them (a password set, a role change, a deletion); `lastSeen` is kept in memory and
// written by `flush()` in one batch, not one write per request.
import { randomBytes } from 'node:crypto';
import { OutpostError } from '../../errors.ts';
import type { Store, Tx, Writer } from '../../store/index.ts';
import { keys } from '../../store/keys.ts';
import type { DomainContext } from '../satellite/context.ts';
import { recordEvent } from '../satellite/events.ts';
import { sha256 } from '../satellite/ids.ts';
import type { RoleGrant } from '../satellite/records.ts';

export interface StoredSession {
  /** SHA-256 of the id. */
  hash: string;
  userId: string;
  createdAt: number;
  lastSeen: number;
  /** The client address and user agent at login, to tell one's sessions apart. */
  address: string;
  agent: string;
}

export interface SessionView {
  /** A short public handle (a prefix of the hash, never the id). */
  id: string;
  createdAt: string;
  lastSeenAt: string;
  address: string;
  agent: string;
  current: boolean;
}

export interface StoredSessionOptions {
  store: Store;
  writer: Writer;
  /** Milliseconds: the later of the wall clock and the store's high-water mark of time. */
  now: () => number;
  idleMs: number;
  absoluteMs: number;
  /** Sessions one user may hold; a new login beyond it ends that user's oldest. */
  perUser?: number;
  /** Sessions found expired are being removed in `tx`: stage their events there. */
  onExpired?: (tx: Tx, ended: StoredSession[], now: number) => void;
}

export function createStoredSessions(opts: StoredSessionOptions) {
  const perUser = opts.perUser ?? 16;
  const byHash = new Map<string, StoredSession>();
  /** Sessions used since the last flush. */
  const seen = new Set<string>();

  const expired = (s: StoredSession, now: number) => now - s.lastSeen >= opts.idleMs || now - s.createdAt >= opts.absoluteMs;
  const ofUser = (userId: string) => [...byHash.values()].filter((s) => s.userId === userId);

  /** Stages the end of `sessions` in `tx`; memory follows once the batch is durable. */
  const endInTx = (tx: Tx, sessions: StoredSession[]) => {
    for (const s of sessions) tx.del(keys.session(s.hash));
    tx.after(() => {
      for (const s of sessions) {
        byHash.delete(s.hash);
        seen.delete(s.hash);
      }
    });
    // Gone from lookups at once, too: a request racing the batch must not pass on an ended session.
    for (const s of sessions) byHash.delete(s.hash);
  };

  return {
    /** Reads the sessions from the store, dropping the expired ones; call once before serving. */
    async open(): Promise<void> {
      const now = opts.now();
      const dead: StoredSession[] = [];
      for await (const [, s] of opts.store.iterate<StoredSession>({ gte: keys.sessionPrefix, lt: keys.sessionPrefix + '\uffff' })) {
        if (expired(s, now)) dead.push(s);
        else byHash.set(s.hash, s);
      }
      if (dead.length) {
        await opts.writer.run((tx) => {
          endInTx(tx, dead);
          opts.onExpired?.(tx, dead, now);
        });
      }
    },

    /**
     * Stages a new session for `userId` in `tx` (with the login's event, by the caller); ends that
     * user's oldest beyond `perUser`. Answers the id to hand to the client (never stored).
     */
    startInTx(tx: Tx, userId: string, meta: { address: string; agent: string }): { id: string; session: StoredSession } {
      const now = opts.now();
      const mine = ofUser(userId).sort((a, b) => a.createdAt - b.createdAt);
      const over = mine.length - perUser + 1;
      if (over > 0) endInTx(tx, mine.slice(0, over));
      const id = randomBytes(32).toString('base64url');
      const session: StoredSession = { hash: sha256(id), userId, createdAt: now, lastSeen: now, address: meta.address.slice(0, 64), agent: meta.agent.slice(0, 200) };
      tx.put(keys.session(session.hash), session);
      tx.after(() => byHash.set(session.hash, session));
      return { id, session };
    },

    /** The live session for a client's id, marked as used now; null when unknown or expired. */
    find(id: string): StoredSession | null {
      if (id.length === 0 || id.length > 128) return null;
      const s = byHash.get(sha256(id));
      if (!s) return null;
      const now = opts.now();
      if (expired(s, now)) return null; // removed by the next sweep
      s.lastSeen = now;
      seen.add(s.hash);
      return s;
    },

    /** The session a client's id names, live or not (for logout). */
    peek(id: string): StoredSession | null {
      return id.length > 0 && id.length <= 128 ? (byHash.get(sha256(id)) ?? null) : null;
    },

    /** Stages the end of the session a client's id names, if any; answers it. */
    endInTx(tx: Tx, id: string): StoredSession | null {
      const s = this.peek(id);
      if (s) endInTx(tx, [s]);
      return s;
    },

    /** Stages the end of every session of `userId` but `keepHash` (the caller's own, after changing one's password). */
    endUserInTx(tx: Tx, userId: string, keepHash?: string): number {
      const ending = ofUser(userId).filter((s) => s.hash !== keepHash);
      if (ending.length) endInTx(tx, ending);
      return ending.length;
    },

    /** Ends every session of `userId` but `keepHash`, in a batch of its own (no event: the caller writes one). */
    async endUser(userId: string, keepHash?: string): Promise<number> {
      return opts.writer.run((tx) => this.endUserInTx(tx, userId, keepHash));
    },

    /** The user's live sessions, newest first; `currentHash` marks the caller's own. */
    list(userId: string, currentHash?: string): SessionView[] {
      const now = opts.now();
      return ofUser(userId)
        .filter((s) => !expired(s, now))
        .sort((a, b) => b.createdAt - a.createdAt)
        .map((s) => ({
          id: s.hash.slice(0, 12),
          createdAt: new Date(s.createdAt).toISOString(),
          lastSeenAt: new Date(s.lastSeen).toISOString(),
          address: s.address,
          agent: s.agent,
          current: s.hash === currentHash,
        }));
    },

    /** Writes the `lastSeen` of sessions used since the last flush and removes expired ones, in one batch. */
    async flush(): Promise<{ written: number; ended: number }> {
      const now = opts.now();
      const dead = [...byHash.values()].filter((s) => expired(s, now));
      const touched = [...seen].map((h) => byHash.get(h)).filter((s): s is StoredSession => s !== undefined && !expired(s, now));
      seen.clear();
      if (dead.length === 0 && touched.length === 0) return { written: 0, ended: 0 };
      await opts.writer.run(async (tx) => {
        for (const s of touched) if (await tx.get(keys.session(s.hash))) tx.put(keys.session(s.hash), { ...s });
        if (dead.length) {
          endInTx(tx, dead);
          opts.onExpired?.(tx, dead, now);
        }
      });
      return { written: touched.length, ended: dead.length };
    },

    get size(): number {
      return byHash.size;
    },
  };
}

export type StoredSessions = ReturnType<typeof createStoredSessions>;

/**
 * The `onExpired` hook that writes one `user.session_expired` event per user whose sessions ran
 * out (idle or absolute), in the batch that removes them; `eventVa` places it as the user's other events.
 */
export function sessionExpiryEvents(ctx: Pick<DomainContext, 'state' | 'seq' | 'onEvent'>, eventVa: (roles: RoleGrant[]) => string | null) {
  return (tx: Tx, ended: StoredSession[], now: number): void => {
    const perUser = new Map<string, number>();
    for (const s of ended) perUser.set(s.userId, (perUser.get(s.userId) ?? 0) + 1);
    for (const [userId, sessions] of perUser) {
      const user = ctx.state.users.get(userId);
      recordEvent(tx, ctx, new Date(now), {
        actor: 'system',
        type: 'user.session_expired',
        vaId: user ? eventVa(user.roles) : null,
        details: { userId, username: user?.username ?? null, sessions },
      });
    }
  };
}

/** A session id that names no live session. */
export const noSession = () => new OutpostError('UNAUTHENTICATED', 'Log in first.');
