// Reading request bodies: the media type is checked first (415), then the size while reading
// (413, without buffering more than the limit), and parsing comes last (400).
import getRawBody from 'raw-body';
import type { Context } from 'koa';
import { OutpostError } from '../errors.ts';
import { parseBoundedJson } from '../domain/satellite/bounded-json.ts';

export const DEVICE_BODY_LIMIT = 64 * 1024;

/** Refuses any media type but `types` (parameters like charset are ignored). */
export function checkMediaType(ctx: Context, types: string[]): void {
  const type = (ctx.get('Content-Type') || '').split(';')[0]!.trim().toLowerCase();
  if (!types.includes(type)) {
    throw new OutpostError('UNSUPPORTED_MEDIA_TYPE', `The body must be sent as ${types.join(' or ')}.`);
  }
}

export async function readText(ctx: Context, limit: number): Promise<string> {
  const declared = ctx.get('Content-Length');
  if (declared && Number(declared) > limit) {
    ctx.set('Connection', 'close');
    throw new OutpostError('PAYLOAD_TOO_LARGE', `The body is larger than ${limit} bytes.`);
  }
  try {
    return await getRawBody(ctx.req, { limit, length: declared || undefined, encoding: 'utf8' });
  } catch (err) {
    const type = (err as { type?: string }).type;
    if (type === 'entity.too.large') {
      ctx.set('Connection', 'close');
      throw new OutpostError('PAYLOAD_TOO_LARGE', `The body is larger than ${limit} bytes.`);
    }
    throw new OutpostError('INVALID_REQUEST', 'The body could not be read.');
  }
}

/** JSON of at most 64 levels (SPEC §3), else 400 INVALID_REQUEST. */
export function parseJson(text: string): unknown {
  return parseBoundedJson(text);
}

/** 415, 413, then 400: a JSON body of at most `limit` bytes. */
export async function readJson(ctx: Context, limit: number): Promise<unknown> {
  checkMediaType(ctx, ['application/json']);
  return parseJson(await readText(ctx, limit));
}

/** Admin API bodies are small JSON documents. */
export const ADMIN_BODY_LIMIT = 256 * 1024;
