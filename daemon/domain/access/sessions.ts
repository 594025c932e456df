// Admin sessions, held in memory: a restart logs everyone out. The id is 256 random bits that
// the client holds; only its SHA-256 is kept, so a dump of the process's sessions lets no one in.
// A session ends after `idleMs` without use or `absoluteMs` after login, whichever comes first.
import { randomBytes } from 'node:crypto';
import type { Clock } from '../satellite/clock.ts';
import { sha256 } from '../satellite/ids.ts';

export interface Session {
  /** SHA-256 of the id. */
  hash: string;
  userId: string;
  createdAt: number;
  lastSeen: number;
}

export interface SessionOptions {
  clock: Clock;
  idleMs: number;
  absoluteMs: number;
  /** Sessions one user may hold; a new login beyond it ends that user's oldest. */
  perUser?: number;
}

export function createSessions(opts: SessionOptions) {
  const perUser = opts.perUser ?? 16;
  const byHash = new Map<string, Session>();

  const expired = (s: Session, now: number) => now - s.lastSeen >= opts.idleMs || now - s.createdAt >= opts.absoluteMs;

  const sweep = (now: number) => {
    for (const [h, s] of byHash) if (expired(s, now)) byHash.delete(h);
  };

  return {
    /** Starts a session for `userId`; answers the id to hand to the client (never stored). */
    start(userId: string): { id: string; session: Session } {
      const now = opts.clock().getTime();
      sweep(now);
      const mine = [...byHash.values()].filter((s) => s.userId === userId).sort((a, b) => a.createdAt - b.createdAt);
      for (const s of mine.slice(0, Math.max(0, mine.length - perUser + 1))) byHash.delete(s.hash);
      const id = randomBytes(32).toString('base64url');
      const session: Session = { hash: sha256(id), userId, createdAt: now, lastSeen: now };
      byHash.set(session.hash, session);
      return { id, session };
    },

    /** The live session for a client's id, marked as used now; null when unknown or expired. */
    find(id: string): Session | null {
      if (id.length === 0 || id.length > 128) return null;
      const hash = sha256(id);
      const s = byHash.get(hash);
      if (!s) return null;
      const now = opts.clock().getTime();
      if (expired(s, now)) {
        byHash.delete(hash);
        return null;
      }
      s.lastSeen = now;
      return s;
    },

    /** Ends the session a client's id names, if any; answers it. */
    end(id: string): Session | null {
      const hash = sha256(id);
      const s = byHash.get(hash) ?? null;
      byHash.delete(hash);
      return s;
    },

    /** Ends every session of `userId` but `keepHash` (the caller's own, after a password change). */
    endUser(userId: string, keepHash?: string): void {
      for (const [h, s] of byHash) if (s.userId === userId && h !== keepHash) byHash.delete(h);
    },

    get size(): number {
      return byHash.size;
    },
  };
}

export type Sessions = ReturnType<typeof createSessions>;
