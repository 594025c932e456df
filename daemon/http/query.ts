// Query strings of the admin API: a schema per route, unknown parameters refused, and a 400
// that names the parameter.
import type { Context } from 'koa';
import { z } from 'zod';
import { OutpostError } from '../errors.ts';

export function parseQuery<S extends z.ZodType>(ctx: Context, schema: S): z.infer<S> {
  const result = schema.safeParse(ctx.query);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const name = issue.code === 'unrecognized_keys' ? issue.keys[0] : issue.path.map(String).join('.');
  const what = issue.code === 'unrecognized_keys' ? 'is not known here' : Array.isArray(ctx.query[name ?? '']) ? 'may be given once' : issue.message;
  throw new OutpostError('INVALID_REQUEST', `Parameter ${JSON.stringify(name)} ${what}.`);
}

/** The paging parameters every list takes (checked by pageParams). */
export const paging = { limit: z.string().optional(), cursor: z.string().optional() };

/** `?nested=true|false`. */
export const flag = z.enum(['true', 'false']).optional().transform((v) => v === 'true');
