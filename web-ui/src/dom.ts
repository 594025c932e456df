// Building DOM nodes without HTML strings: text always goes in as text, never as markup, and no
// inline style is ever set (the Content-Security-Policy forbids it).

export type Child = Node | string | number | null | undefined | false | Child[];

type Handler = (ev: Event) => void;
export type Attrs = Record<string, string | number | boolean | null | undefined | Handler>;

function append(parent: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(parent, c);
    else parent.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
  }
}

function applyAttrs(el: Element, attrs: Attrs | undefined): void {
  if (!attrs) return;
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'style') throw new TypeError('inline styles are refused by the CSP; use a class');
    if (k.startsWith('on') && typeof v === 'function') {
      el.addEventListener(k.slice(2), v);
    } else if (k === 'value' && el instanceof HTMLInputElement) {
      el.setAttribute('value', String(v)); // the default too, so a form reset returns to it
    } else if (k === 'value' && el instanceof HTMLTextAreaElement) {
      el.defaultValue = String(v);
    } else if (k === 'value' && 'value' in el) {
      (el as HTMLInputElement).value = String(v);
    } else if (k === 'checked' && el instanceof HTMLInputElement) {
      el.checked = Boolean(v);
    } else if (k === 'selected' && el instanceof HTMLOptionElement) {
      el.selected = Boolean(v);
    } else if (v === true) {
      el.setAttribute(k, '');
    } else if (typeof v !== 'function') {
      el.setAttribute(k, String(v));
    }
  }
}

/** `h('button', { class: 'primary', onclick }, 'Save')` */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  applyAttrs(el, attrs ?? undefined);
  append(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: Child[]): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  applyAttrs(el, attrs ?? undefined);
  append(el, children);
  return el;
}

/** Replaces an element's children. */
export function mount(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

let idCounter = 0;
/** A page-unique id for label/field pairs. */
export const uid = (prefix = 'f'): string => `${prefix}-${++idCounter}`;
