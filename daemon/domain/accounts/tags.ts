// Tag keys: the keys VA tags may use, defined by an sa-admin. A key in use by a VA cannot be
// deleted; a limited-use account has none.
import { z } from 'zod';
import { OutpostError } from '../../errors.ts';
import { keys } from '../../store/index.ts';
import type { Actor, DomainContext } from '../satellite/context.ts';
import { recordEvent } from '../satellite/events.ts';
import type { TagKeyRecord } from '../satellite/records.ts';
import { parseBody } from '../satellite/validate.ts';

/** Lower-case letters, digits, `_`, `.` and `-`; 1–64 characters, starting with a letter or digit. */
export const tagKeyName = z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, 'expected a tag key: 1–64 of a-z, 0-9, "_", "." and "-"');

export const createTagBody = z.strictObject({ key: tagKeyName });

export function createTags(ctx: DomainContext) {
  const { state } = ctx;

  return {
    list(): TagKeyRecord[] {
      return [...state.tagKeys.values()].sort((a, b) => (a.key < b.key ? -1 : 1));
    },

    async create(body: unknown, actor: Actor): Promise<TagKeyRecord> {
      const { key } = parseBody(createTagBody, body);
      const now = ctx.clock();
      const record: TagKeyRecord = { key, createdAt: now.toISOString() };
      await ctx.writer.run(
        async (tx) => {
          if (state.account.type === 'limited-use') throw new OutpostError('LIMIT_REACHED', 'A limited-use account cannot use tags.');
          if (await tx.get(keys.tagKey(key))) throw new OutpostError('NAME_TAKEN', `The tag key ${JSON.stringify(key)} exists.`);
          tx.put(keys.tagKey(key), record);
          recordEvent(tx, ctx, now, { actor, type: 'tag.created', vaId: null, details: { key } });
          tx.after(() => state.putTagKey(record));
        },
        { exclusive: true },
      );
      return record;
    },

    async remove(key: string, actor: Actor): Promise<void> {
      const now = ctx.clock();
      await ctx.writer.run(
        async (tx) => {
          if (!(await tx.get(keys.tagKey(key)))) throw new OutpostError('NOT_FOUND', `No tag key ${JSON.stringify(key)}.`);
          const users = [...state.vas.values()].filter((va) => Object.hasOwn(va.tags, key));
          if (users.length > 0) {
            throw new OutpostError('TAG_IN_USE', `The tag key ${JSON.stringify(key)} is used by ${users.length} virtual account${users.length === 1 ? '' : 's'}, e.g. ${state.vas.path(users[0]!.id)}.`);
          }
          tx.del(keys.tagKey(key));
          recordEvent(tx, ctx, now, { actor, type: 'tag.deleted', vaId: null, details: { key } });
          tx.after(() => state.deleteTagKey(key));
        },
        { exclusive: true },
      );
    },
  };
}

export type Tags = ReturnType<typeof createTags>;
