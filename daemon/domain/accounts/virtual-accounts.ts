// The virtual-account tree: create, rename, tag and delete VAs. `Default` stays at the root;
// nesting stops at 10 levels; sibling names are unique regardless of case; a VA is deleted only
// when nothing lives in it. Structural changes run as exclusive transactions, so their checks on
// the tree, the devices and the users read an in-memory State that is exactly the store.
import { z } from 'zod';
import { OutpostError } from '../../errors.ts';
import { keys, type Tx } from '../../store/index.ts';
import { LIMITED_USE } from './account.ts';
import type { Actor, DomainContext } from '../satellite/context.ts';
import { recordEvent } from '../satellite/events.ts';
import { newId } from '../satellite/ids.ts';
import { tagKeyName } from './tags.ts';
import { tokenRefusal } from '../devices/tokens.ts';
import type { TagKeyRecord, TokenRecord, VirtualAccount } from '../satellite/records.ts';
import { parseBody, text } from '../satellite/validate.ts';
import { MAX_DEPTH } from './va-tree.ts';

/** 1–64 characters, no `/`, not `all` (which names the whole account in `?va=all`). */
export const vaName = text(1, 64)
  .refine((s) => !s.includes('/'), 'must not contain "/"')
  .refine((s) => s.toLowerCase() !== 'all', 'must not be "all"')
  .refine((s) => s.trim() === s, 'must not start or end with spaces');

export const vaTags = z
  .record(tagKeyName, text(0, 256))
  .refine((t) => Object.keys(t).length <= 32, 'at most 32 tags');

/** A VA named by its id (`va_…`) or its path. */
const vaRefField = z.string().min(1).max(1024);

export const createVaBody = z.strictObject({
  name: vaName,
  parentId: vaRefField.nullable().default(null),
  tags: vaTags.default({}),
});

export const patchVaBody = z.strictObject({
  name: vaName.optional(),
  tags: vaTags.optional(),
});

export interface VaView {
  id: string;
  name: string;
  path: string;
  parentId: string | null;
  tags: Record<string, string>;
}

export interface VirtualAccountDeps {
  /** Does the VA hold licenses (holdings or reservations)? The license engine answers. */
  hasLicenses?: (vaId: string) => boolean;
  /**
   * Stages in the deletion's transaction what the license engine changes when a VA goes (lines
   * that landed in it land again in Default, so later increases from the cloud have a home).
   */
  forgetLicenses?: (tx: Tx, vaId: string) => Promise<void>;
}

export function createVirtualAccounts(ctx: DomainContext, deps: VirtualAccountDeps = {}) {
  const { state } = ctx;
  const hasLicenses = deps.hasLicenses ?? (() => false);

  const view = (va: VirtualAccount): VaView => ({
    id: va.id,
    name: va.name,
    path: state.vas.path(va.id),
    parentId: va.parentId,
    tags: { ...va.tags },
  });

  /** Default, and the policy-mode VA while policy mode is on, cannot be renamed or deleted. */
  const isProtected = (va: VirtualAccount): boolean => {
    if (va.id === state.defaultVa.id) return true;
    const policy = ctx.config.device.policyMode;
    return policy.enabled && state.vas.path(va.id) === policy.virtualAccount;
  };

  const checkTags = async (tx: { get: <T>(k: string) => Promise<T | undefined> }, tags: Record<string, string>) => {
    const used = Object.keys(tags);
    if (used.length > 0 && state.account.type === 'limited-use') {
      throw new OutpostError('LIMIT_REACHED', 'A limited-use account cannot use tags.');
    }
    for (const key of used) {
      if (!(await tx.get<TagKeyRecord>(keys.tagKey(key)))) {
        throw new OutpostError('INVALID_REQUEST', `Field "tags.${key}": no tag key ${JSON.stringify(key)} is defined; an sa-admin defines it under /api/tags.`);
      }
    }
  };

  const assertNameFree = (parentId: string | null, name: string, exceptId?: string) => {
    const other = state.vas.siblingNamed(parentId, name, exceptId);
    if (other) {
      throw new OutpostError('NAME_TAKEN', `A virtual account named ${JSON.stringify(other.name)} already exists ${parentId ? `in ${state.vas.path(parentId)}` : 'at the top level'}.`);
    }
  };

  return {
    view,

    get(id: string): VirtualAccount {
      const va = state.vas.get(id);
      if (!va) throw new OutpostError('NOT_FOUND', `No virtual account ${JSON.stringify(id)}.`);
      return va;
    },

    /** The VAs in `scope` (all for null), sorted by path. */
    list(scope: Set<string> | null): VaView[] {
      const out: VaView[] = [];
      for (const va of state.vas.values()) if (scope === null || scope.has(va.id)) out.push(view(va));
      return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    },

    /** POST: `authorize(parentId)` throws unless the caller may create there (null: the top level). */
    async create(body: unknown, actor: Actor, authorize: (parentId: string | null) => void): Promise<VaView> {
      const input = parseBody(createVaBody, body);
      const parent = input.parentId === null ? null : state.resolveVa(input.parentId);
      const parentId = parent?.id ?? null;
      authorize(parentId);
      const now = ctx.clock();
      const va: VirtualAccount = { id: newId('va'), name: input.name, parentId, tags: input.tags, createdAt: now.toISOString() };
      await ctx.writer.run(
        async (tx) => {
          if (parentId !== null && !(await tx.get(keys.va(parentId)))) {
            throw new OutpostError('NOT_FOUND', `No virtual account ${JSON.stringify(input.parentId)}.`);
          }
          if (parentId !== null && state.vas.depth(parentId) >= MAX_DEPTH) {
            throw new OutpostError('LIMIT_REACHED', `Virtual accounts nest at most ${MAX_DEPTH} levels.`);
          }
          assertNameFree(parentId, va.name);
          if (state.account.type === 'limited-use' && state.vas.size >= LIMITED_USE.virtualAccounts) {
            throw new OutpostError('LIMIT_REACHED', `A limited-use account holds at most ${LIMITED_USE.virtualAccounts} virtual accounts.`);
          }
          await checkTags(tx, va.tags);
          tx.put(keys.va(va.id), va);
          const path = parentId === null ? va.name : `${state.vas.path(parentId)}/${va.name}`;
          recordEvent(tx, ctx, now, { actor, type: 'virtual-account.created', vaId: va.id, details: { path, parentId, tags: va.tags } });
          tx.after(() => state.putVa(va));
        },
        { exclusive: true },
      );
      return view(va);
    },

    /** PATCH: rename and/or replace the tags. The caller has checked its rights on `id`. */
    async update(id: string, body: unknown, actor: Actor): Promise<VaView> {
      const input = parseBody(patchVaBody, body);
      const now = ctx.clock();
      const updated = await ctx.writer.run(
        async (tx) => {
          const va = await tx.get<VirtualAccount>(keys.va(id));
          if (!va) throw new OutpostError('NOT_FOUND', `No virtual account ${JSON.stringify(id)}.`);
          const next: VirtualAccount = { ...va };
          const changes: Record<string, { from: unknown; to: unknown }> = {};
          if (input.name !== undefined && input.name !== va.name) {
            if (isProtected(va)) throw new OutpostError('VA_PROTECTED', `The virtual account ${state.vas.path(id)} cannot be renamed.`);
            assertNameFree(va.parentId, input.name, va.id);
            next.name = input.name;
            const parentPath = va.parentId === null ? '' : `${state.vas.path(va.parentId)}/`;
            changes.path = { from: state.vas.path(id), to: parentPath + input.name };
          }
          if (input.tags !== undefined && JSON.stringify(sorted(input.tags)) !== JSON.stringify(sorted(va.tags))) {
            await checkTags(tx, input.tags);
            next.tags = input.tags;
            changes.tags = { from: va.tags, to: input.tags };
          }
          if (Object.keys(changes).length > 0) {
            tx.put(keys.va(id), next);
            recordEvent(tx, ctx, now, { actor, type: 'virtual-account.updated', vaId: id, details: { changes } });
            tx.after(() => state.putVa(next));
          }
          return next;
        },
        { exclusive: true },
      );
      return view(updated);
    },

    /**
     * DELETE: only an empty VA — no child VAs, devices (registered or not), live tokens, licenses,
     * or users holding a role in it. Revoked, expired and spent tokens go with it. The event is
     * recorded on the parent, where it stays visible once the VA is gone.
     */
    async remove(id: string, actor: Actor): Promise<void> {
      const now = ctx.clock();
      // The device counters are whole once a rebuild of the device indexes (if any) is done.
      await state.deviceIndex.ready();
      await ctx.writer.run(
        async (tx) => {
          const va = await tx.get<VirtualAccount>(keys.va(id));
          if (!va) throw new OutpostError('NOT_FOUND', `No virtual account ${JSON.stringify(id)}.`);
          const path = state.vas.path(id);
          if (isProtected(va)) throw new OutpostError('VA_PROTECTED', `The virtual account ${path} cannot be deleted.`);
          const holds: string[] = [];
          const children = state.vas.childIds(id).length;
          if (children > 0) holds.push(`${children} virtual account${children === 1 ? '' : 's'}`);
          // Exclusive: every earlier batch is durable, so the counters are the store's.
          const devices = state.vaDeviceCount(id);
          if (devices > 0) holds.push(`${devices} device${devices === 1 ? '' : 's'}`);
          const dead: TokenRecord[] = [];
          let live = 0;
          for (const t of state.tokens.values()) {
            if (t.vaId !== id) continue;
            if (tokenRefusal(t, now)) dead.push(t);
            else live++;
          }
          if (live > 0) holds.push(`${live} usable token${live === 1 ? '' : 's'}`);
          if (hasLicenses(id)) holds.push('licenses');
          let users = 0;
          for (const u of state.users.values()) if (u.roles.some((g) => g.vaId === id)) users++;
          if (users > 0) holds.push(`roles of ${users} user${users === 1 ? '' : 's'}`);
          if (holds.length > 0) {
            throw new OutpostError('VA_NOT_EMPTY', `The virtual account ${path} still holds ${holds.join(', ')}.`);
          }
          await deps.forgetLicenses?.(tx, id);
          tx.del(keys.va(id));
          for (const t of dead) {
            tx.del(keys.token(t.id));
            tx.del(keys.tokenHash(t.hash));
          }
          recordEvent(tx, ctx, now, {
            actor,
            type: 'virtual-account.deleted',
            vaId: va.parentId,
            details: { id, path, removedTokens: dead.map((t) => t.id) },
          });
          tx.after(() => {
            state.deleteVa(id);
            for (const t of dead) state.deleteToken(t.id);
          });
        },
        { exclusive: true },
      );
    },
  };
}

const sorted = (o: Record<string, string>) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));

export type VirtualAccounts = ReturnType<typeof createVirtualAccounts>;
