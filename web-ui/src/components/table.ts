// Data tables with a caption, optional sortable headers and an empty state.
import { h, type Child } from '../dom.ts';
import { emptyState } from './notice.ts';

export interface Column<T> {
  label: string;
  cell: (row: T) => Child;
  /** A sort key the API understands; the header becomes a button. */
  sort?: string;
  class?: string;
}

export interface SortState {
  key: string;
  dir: 'asc' | 'desc';
}

export function table<T>(opts: {
  caption: string;
  columns: Column<T>[];
  rows: T[];
  empty: string;
  rowKey?: (row: T) => string;
  sort?: SortState | null;
  onSort?: (s: SortState) => void;
}): HTMLElement {
  if (opts.rows.length === 0) return emptyState(opts.empty);
  const head = h(
    'tr',
    null,
    ...opts.columns.map((c) => {
      if (!c.sort || !opts.onSort) return h('th', { scope: 'col', class: c.class }, c.label);
      const active = opts.sort?.key === c.sort;
      const dir = active ? opts.sort!.dir : null;
      const next: SortState = { key: c.sort, dir: active && dir === 'asc' ? 'desc' : 'asc' };
      return h(
        'th',
        { scope: 'col', class: c.class, 'aria-sort': dir === 'asc' ? 'ascending' : dir === 'desc' ? 'descending' : 'none' },
        h(
          'button',
          { type: 'button', class: 'sort', onclick: () => opts.onSort!(next), 'aria-label': `Sort by ${c.label}` },
          c.label,
          h('span', { class: 'sort-mark', 'aria-hidden': 'true' }, dir === 'asc' ? ' ▲' : dir === 'desc' ? ' ▼' : ' ↕'),
        ),
      );
    }),
  );
  const body = h(
    'tbody',
    null,
    // Each cell's content in one box, so the stacked layout of narrow screens (label beside
    // value, app.css) sees one value whatever the cell holds.
    ...opts.rows.map((r) => h('tr', { 'data-key': opts.rowKey?.(r) }, ...opts.columns.map((c) => h('td', { class: c.class, 'data-label': c.label }, h('div', { class: 'cell' }, c.cell(r)))))),
  );
  return h('div', { class: 'table-wrap' }, h('table', null, h('caption', null, opts.caption), h('thead', null, head), body));
}

/** A small coloured label; the colour never carries the meaning alone (the text does). */
export function badge(text: string, kind: 'ok' | 'warn' | 'bad' | 'muted' | 'info' = 'muted'): HTMLElement {
  return h('span', { class: `badge ${kind}` }, text);
}
