// A list read one page at a time through the API's cursor: busy while it reads, the refusal in
// plain words when it fails, the table and its Previous/Next below.
import { mount } from '../dom.ts';
import type { Page } from '../types.ts';
import { errorBox, loading } from './notice.ts';
import { CursorPager, pagerControls } from './pager.ts';

export interface PagedList {
  /** Reads the current page again (after a change), or the first one after `reset()`. */
  reload(): Promise<void>;
  reset(): void;
}

export function pagedList<T>(
  el: HTMLElement,
  opts: { fetch: (cursor: string | null) => Promise<Page<T>>; render: (items: T[]) => HTMLElement; what: string },
): PagedList {
  const pager = new CursorPager();
  mount(el, loading());
  const reload = async () => {
    let page: Page<T>;
    el.setAttribute('aria-busy', 'true');
    try {
      page = await opts.fetch(pager.cursor);
    } catch (err) {
      mount(el, errorBox(err));
      return;
    } finally {
      el.removeAttribute('aria-busy');
    }
    mount(el, opts.render(page.items), pagerControls(pager, page.next, page.items.length, () => void reload(), opts.what));
  };
  return { reload, reset: () => pager.reset() };
}
