// Messages on the page: refusals in plain words, toasts, empty and loading states.
import { h, type Child } from '../dom.ts';
import { explain } from '../messages.ts';

/**
 * A refusal as a block: the plain sentence, then the server's own words. The stable code is for
 * whoever reads the log or asks support: it stays in an attribute, not in the sentence. `scope`
 * (a form) lets a refusal that names a field say the field's label.
 */
export function errorBox(err: unknown, lead?: string, scope?: Element): HTMLElement {
  const e = explain(err, scope ? (name) => labelOf(scope, name) : undefined);
  return h(
    'div',
    { class: 'notice error', role: 'alert', 'data-error-code': e.code },
    lead ? h('strong', null, lead, ' ') : null,
    h('span', { class: 'plain' }, e.plain),
    e.detail ? h('span', { class: 'detail' }, ` ${e.detail}`) : null,
  );
}

/** The visible label of the control named `name` inside `scope`, if there is one. */
function labelOf(scope: Element, name: string): string | undefined {
  const control = Array.from(scope.querySelectorAll<HTMLElement>('[name]')).find((el) => el.getAttribute('name') === name);
  if (!control?.id) return undefined;
  const label = Array.from(scope.querySelectorAll('label')).find((l) => l.htmlFor === control.id);
  return label?.textContent?.trim() || undefined;
}

export function notice(kind: 'info' | 'warning' | 'critical' | 'success', ...children: Child[]): HTMLElement {
  return h('div', { class: `notice ${kind}`, role: kind === 'critical' ? 'alert' : 'status' }, ...children);
}

export function emptyState(text: string, ...more: Child[]): HTMLElement {
  return h('div', { class: 'empty' }, h('p', null, text), ...more);
}

export function loading(what = 'Loading…'): HTMLElement {
  return h('p', { class: 'loading', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), what);
}

/** A short message in the live region, gone after a few seconds. */
export function toast(text: string, kind: 'success' | 'error' | 'info' = 'success'): void {
  const region = document.getElementById('toasts');
  if (!region) return;
  const el = h('div', { class: `toast ${kind}` }, text);
  region.appendChild(el);
  while (region.childElementCount > 3) region.firstElementChild?.remove();
  setTimeout(() => el.remove(), 5000);
}
