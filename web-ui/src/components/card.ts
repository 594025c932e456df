// A titled section whose content loads on its own: one failing read never blanks the page.
import { h, mount, type Child } from '../dom.ts';
import { errorBox, loading } from './notice.ts';

export function card(title: string, ...children: Child[]): HTMLElement {
  const id = `card-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  return h('section', { class: 'card', 'aria-labelledby': id }, h('h2', { id }, title), ...children);
}

export function asyncCard(title: string, load: () => Promise<Child>, opts: { class?: string; testId?: string } = {}): HTMLElement {
  const body = h('div', { class: 'card-body' }, loading());
  const el = card(title, body);
  if (opts.class) el.classList.add(...opts.class.split(' '));
  if (opts.testId) el.setAttribute('data-testid', opts.testId);
  load().then(
    (content) => mount(body, content),
    (err: unknown) => {
      if (err instanceof DOMException && err.name === 'AbortError') return;
      mount(body, errorBox(err));
    },
  );
  return el;
}

/** A definition list of label → value pairs. */
export function facts(rows: Array<[string, Child]>): HTMLElement {
  return h('dl', { class: 'facts' }, ...rows.flatMap(([k, v]) => [h('dt', null, k), h('dd', null, v)]));
}
