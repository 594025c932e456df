// Labelled fields and buttons that show progress while their action runs.
import { h, uid, type Attrs, type Child } from '../dom.ts';
import { errorBox } from './notice.ts';

/** A label and its control (the control gets an id if it has none), with an optional hint. */
export function field(label: string, control: HTMLElement, hint?: string): HTMLElement {
  if (!control.id) control.id = uid();
  const hintEl = hint ? h('small', { class: 'hint', id: `${control.id}-hint` }, hint) : null;
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { for: control.id }, label), control, hintEl);
}

export function input(attrs: Attrs = {}): HTMLInputElement {
  return h('input', { type: 'text', autocomplete: 'off', ...attrs });
}

export interface Option {
  value: string;
  label: string;
}

export function select(options: Option[], attrs: Attrs = {}, selected?: string): HTMLSelectElement {
  return h('select', attrs, ...options.map((o) => h('option', { value: o.value, selected: o.value === selected }, o.label)));
}

export function button(label: Child, attrs: Attrs = {}): HTMLButtonElement {
  return h('button', { type: 'button', ...attrs }, label);
}

/**
 * Runs `action` with the button disabled and marked busy; a refusal is shown in `errorSlot`
 * (or rethrown when there is none). Returns the action's result, or undefined on refusal.
 */
export async function busy<T>(btn: HTMLButtonElement, errorSlot: HTMLElement | null, action: () => Promise<T>, busyLabel = 'Working…'): Promise<T | undefined> {
  const label = btn.textContent ?? '';
  btn.disabled = true;
  btn.setAttribute('aria-busy', 'true');
  btn.textContent = busyLabel;
  errorSlot?.replaceChildren();
  try {
    return await action();
  } catch (err) {
    if (!errorSlot) throw err;
    errorSlot.replaceChildren(errorBox(err, undefined, errorSlot.closest('form') ?? undefined));
    return undefined;
  } finally {
    btn.disabled = false;
    btn.removeAttribute('aria-busy');
    btn.textContent = label;
  }
}

/** A form whose submit runs `onSubmit` with progress and inline errors. */
export function form(opts: {
  label: string;
  fields: Child[];
  submit: string;
  busyLabel?: string;
  write?: boolean;
  onSubmit: (errorSlot: HTMLElement) => Promise<void>;
  extra?: Child[];
}): HTMLFormElement {
  const errors = h('div', { class: 'form-errors' });
  const submit = h('button', { type: 'submit', class: 'primary' }, opts.submit);
  const f = h(
    'form',
    { 'aria-label': opts.label, class: 'form', 'data-write': opts.write === false ? null : 'true', novalidate: false },
    ...opts.fields,
    errors,
    h('div', { class: 'actions' }, submit, ...(opts.extra ?? [])),
  );
  f.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!f.reportValidity()) return;
    void busy(submit, errors, () => opts.onSubmit(errors), opts.busyLabel);
  });
  return f;
}
