// Query strings of the admin API: each route names its parameters in a strict schema, so an
// unknown or repeated parameter, or one of the wrong form, is 400 INVALID_REQUEST naming it.
import type { Context } from 'koa';
import { z } from 'zod';
import { OutpostError } from '../errors.ts';

/** The paging parameters every list takes (checked by pageParams). */
export const paging = { limit: z.string().optional(), cursor: z.string().optional() };

/** `?nested=true|false`. */
export const flag = z.enum(['true', 'false']).optional().transform((v) => v === 'true');

export function readQuery<S extends z.ZodType>(ctx: Context, schema: S): z.infer<S> {
  const plain: Record<string, string> = {};
  for (const [k, v] of Object.entries(ctx.query)) {
    if (Array.isArray(v)) throw new OutpostError('INVALID_REQUEST', `Parameter ${JSON.stringify(k)} is given more than once.`);
    if (v !== undefined) plain[k] = v;
  }
  const result = schema.safeParse(plain);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') throw new OutpostError('INVALID_REQUEST', `Unknown parameter ${JSON.stringify(issue.keys[0])}.`);
  throw new OutpostError('INVALID_REQUEST', `Parameter ${JSON.stringify(issue.path.map(String).join('.'))}: ${issue.message}.`);
}
