// A <select> of virtual accounts, indented by depth, optionally with an "all" entry.
import { h } from '../dom.ts';
import type { VirtualAccount } from '../types.ts';

export function sortedVas(vas: VirtualAccount[]): VirtualAccount[] {
  return [...vas].sort((a, b) => (a.path === 'Default' ? -1 : b.path === 'Default' ? 1 : a.path.localeCompare(b.path)));
}

export function vaSelect(vas: VirtualAccount[], opts: { selected?: string | null; all?: string; none?: string; name?: string; required?: boolean } = {}): HTMLSelectElement {
  const sel = h('select', { name: opts.name, required: opts.required });
  if (opts.all) sel.appendChild(h('option', { value: '' }, opts.all));
  if (opts.none) sel.appendChild(h('option', { value: '' }, opts.none));
  for (const va of sortedVas(vas)) {
    const depth = va.path.split('/').length - 1;
    sel.appendChild(h('option', { value: va.id, selected: va.id === opts.selected || va.path === opts.selected }, `${'\u00a0\u00a0'.repeat(depth)}${va.path}`));
  }
  return sel;
}
