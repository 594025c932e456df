// Lists answer {"items":[…],"next":cursor|null}; ?limit= (default 100, at most 1,000) and ?cursor=.
import type { Context } from 'koa';
import { OutpostError } from '../errors.ts';

export interface Page<T> {
  items: T[];
  next: string | null;
}

export function pageParams(ctx: Context): { limit: number; cursor: string | null } {
  const rawLimit = ctx.query.limit;
  let limit = 100;
  if (rawLimit !== undefined) {
    if (typeof rawLimit !== 'string' || !/^\d{1,4}$/.test(rawLimit) || Number(rawLimit) < 1 || Number(rawLimit) > 1000) {
      throw new OutpostError('INVALID_REQUEST', 'Parameter "limit" must be a whole number from 1 to 1000.');
    }
    limit = Number(rawLimit);
  }
  const cursor = ctx.query.cursor;
  if (cursor !== undefined && (typeof cursor !== 'string' || cursor.length > 512)) {
    throw new OutpostError('INVALID_REQUEST', 'Parameter "cursor" is not valid.');
  }
  return { limit, cursor: cursor ?? null };
}

/**
 * Pages through `items` already sorted by `keyOf` (ascending). The cursor is the last key
 * served, so a page stays right when items are added or removed before it.
 */
export function paginate<T>(items: T[], keyOf: (t: T) => string, limit: number, cursor: string | null): Page<T> {
  let start = 0;
  if (cursor !== null) {
    let last: string;
    try {
      last = Buffer.from(cursor, 'base64url').toString('utf8');
    } catch {
      throw new OutpostError('INVALID_REQUEST', 'Parameter "cursor" is not valid.');
    }
    let lo = 0;
    let hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (keyOf(items[mid]!) <= last) lo = mid + 1;
      else hi = mid;
    }
    start = lo;
  }
  const slice = items.slice(start, start + limit);
  const more = start + limit < items.length;
  return { items: slice, next: more ? Buffer.from(keyOf(slice[slice.length - 1]!)).toString('base64url') : null };
}
