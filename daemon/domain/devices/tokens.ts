// Registration tokens: a secret shown once, stored as its hash, valid 1–365 days, optionally
// limited in uses, revocable.
import { z } from 'zod';
import { OutpostError } from '../../errors.ts';
import { keys } from '../../store/index.ts';
import { DAY_MS } from '../satellite/clock.ts';
import type { Actor, DomainContext } from '../satellite/context.ts';
import { recordEvent } from '../satellite/events.ts';
import { newId, newSecret, sha256 } from '../satellite/ids.ts';
import type { TokenRecord } from '../satellite/records.ts';
import { parseBody, text } from '../satellite/validate.ts';

export const createTokenBody = z.strictObject({
  virtualAccountId: z.string().min(1).max(1024),
  description: text(0, 256).default(''),
  validDays: z.int().min(1).max(365).default(30),
  maxUses: z.int().min(1).max(1_000_000).nullable().optional(),
});

export interface TokenView {
  id: string;
  virtualAccount: { id: string; path: string };
  description: string;
  createdAt: string;
  expiresAt: string;
  maxUses: number | null;
  uses: number;
  revoked: boolean;
}

export function createTokens(ctx: DomainContext) {
  const { state } = ctx;

  const view = (t: TokenRecord): TokenView => ({
    id: t.id,
    virtualAccount: state.vaRef(t.vaId),
    description: t.description,
    createdAt: t.createdAt,
    expiresAt: t.expiresAt,
    maxUses: t.maxUses,
    uses: t.uses,
    revoked: t.revoked,
  });

  return {
    view,

    /** Creates a token; the answer carries its secret as `token`, this once. */
    async create(body: unknown, actor: Actor, canUse: (vaId: string) => void = () => {}): Promise<TokenView & { token: string }> {
      const input = parseBody(createTokenBody, body);
      const va = state.resolveVa(input.virtualAccountId);
      canUse(va.id);
      const now = ctx.clock();
      const secret = newSecret('opt');
      const record: TokenRecord = {
        id: newId('tok'),
        vaId: va.id,
        description: input.description,
        hash: sha256(secret),
        createdAt: now.toISOString(),
        createdBy: actor,
        expiresAt: new Date(now.getTime() + input.validDays * DAY_MS).toISOString(),
        maxUses: input.maxUses ?? null,
        uses: 0,
        revoked: false,
      };
      await ctx.writer.run(async (tx) => {
        // The VA may have been deleted since it was resolved.
        if (!(await tx.get(keys.va(va.id)))) throw new OutpostError('NOT_FOUND', `No virtual account ${JSON.stringify(input.virtualAccountId)}.`);
        tx.put(keys.token(record.id), record);
        tx.put(keys.tokenHash(record.hash), record.id);
        recordEvent(tx, ctx, now, {
          actor,
          type: 'token.created',
          vaId: va.id,
          details: { tokenId: record.id, expiresAt: record.expiresAt, maxUses: record.maxUses },
        });
        tx.after(() => state.putToken(record));
      });
      return { ...view(record), token: secret };
    },

    list(filter: (t: TokenRecord) => boolean = () => true): TokenView[] {
      return [...state.tokens.values()]
        .filter(filter)
        .sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0))
        .map(view);
    },

    get(id: string): TokenRecord {
      const t = state.tokens.get(id);
      if (!t) throw new OutpostError('NOT_FOUND', `No token ${JSON.stringify(id)}.`);
      return t;
    },

    async revoke(id: string, actor: Actor): Promise<TokenView> {
      const now = ctx.clock();
      return ctx.writer.run(async (tx) => {
        const t = await tx.get<TokenRecord>(keys.token(id));
        if (!t) throw new OutpostError('NOT_FOUND', `No token ${JSON.stringify(id)}.`);
        const updated = { ...t, revoked: true };
        if (!t.revoked) {
          tx.put(keys.token(id), updated);
          recordEvent(tx, ctx, now, { actor, type: 'token.revoked', vaId: t.vaId, details: { tokenId: id } });
          tx.after(() => state.putToken(updated));
        }
        return view(updated);
      });
    },
  };
}

export type Tokens = ReturnType<typeof createTokens>;

/** Why a token cannot register a device now, or null when it can. */
export function tokenRefusal(t: TokenRecord, now: Date): OutpostError | null {
  if (t.revoked) return new OutpostError('TOKEN_REVOKED', 'The registration token was revoked.');
  if (Date.parse(t.expiresAt) <= now.getTime()) return new OutpostError('TOKEN_EXPIRED', 'The registration token has expired.');
  if (t.maxUses !== null && t.uses >= t.maxUses) return new OutpostError('TOKEN_EXHAUSTED', 'The registration token has no uses left.');
  return null;
}
