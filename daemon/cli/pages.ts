// Reads a paged admin-API list ({items, next}) through the control socket, page after page.
import type { ControlClient } from './client.ts';

/** Every item of `path` with `params`, or the first `max` of them. */
export async function allItems<T>(client: ControlClient, path: string, params: Record<string, string | undefined>, max = Infinity): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, v);
    q.set('limit', String(Math.min(1000, max - items.length)));
    if (cursor) q.set('cursor', cursor);
    const page: { items: T[]; next: string | null } = await client.call('GET', `${path}?${q}`);
    items.push(...page.items);
    cursor = page.next;
  } while (cursor && items.length < max);
  return items;
}
