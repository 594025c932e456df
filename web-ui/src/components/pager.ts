// Cursor paging: the API hands out `next`; earlier cursors are kept here for "Previous".
import { h } from '../dom.ts';

export class CursorPager {
  private stack: Array<string | null> = [null];

  get cursor(): string | null {
    return this.stack[this.stack.length - 1]!;
  }

  get pageNumber(): number {
    return this.stack.length;
  }

  reset(): void {
    this.stack = [null];
  }

  forward(next: string): void {
    this.stack.push(next);
  }

  back(): void {
    if (this.stack.length > 1) this.stack.pop();
  }
}

export function pagerControls(pager: CursorPager, next: string | null, shown: number, onChange: () => void, what = 'items'): HTMLElement {
  if (pager.pageNumber === 1 && next === null) return h('p', { class: 'page-no pager' }, `${shown} ${shown === 1 ? what.replace(/s$/, '') : what}`);
  const prev = h('button', { type: 'button', disabled: pager.pageNumber === 1, 'aria-label': 'Previous page' }, '← Previous');
  const nextBtn = h('button', { type: 'button', disabled: next === null, 'aria-label': 'Next page' }, 'Next →');
  prev.addEventListener('click', () => {
    pager.back();
    onChange();
  });
  nextBtn.addEventListener('click', () => {
    if (next === null) return;
    pager.forward(next);
    onChange();
  });
  return h('nav', { class: 'pager', 'aria-label': 'Pages' }, prev, h('span', { class: 'page-no' }, `Page ${pager.pageNumber} · ${shown} ${shown === 1 ? what.replace(/s$/, '') : what} on this page`), nextBtn);
}
