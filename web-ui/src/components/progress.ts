// A progress bar for long operations: determinate when the size is known.
import { h } from '../dom.ts';
import { bytes } from '../format.ts';

export interface ProgressView {
  el: HTMLElement;
  update(loaded: number, total: number | null): void;
  done(text: string): void;
}

export function progress(label: string): ProgressView {
  const bar = h('progress', { 'aria-label': label });
  const text = h('span', { class: 'progress-text' }, label);
  const el = h('div', { class: 'progress', role: 'status' }, bar, text);
  return {
    el,
    update(loaded, total) {
      if (total) {
        bar.max = total;
        bar.value = loaded;
        text.textContent = `${label} ${bytes(loaded)} of ${bytes(total)}`;
      } else {
        bar.removeAttribute('value');
        text.textContent = loaded ? `${label} ${bytes(loaded)}` : label;
      }
    },
    done(t) {
      bar.max = 1;
      bar.value = 1;
      text.textContent = t;
    },
  };
}
