// Modal dialogs on the native <dialog>: focus stays inside, Escape closes, focus returns after.
import { h, type Child } from '../dom.ts';
import { busy } from './form.ts';

export interface DialogHandle {
  el: HTMLDialogElement;
  close(): void;
}

export function openDialog(title: string, body: Child[], opts: { onClose?: () => void; wide?: boolean } = {}): DialogHandle {
  const opener = document.activeElement as HTMLElement | null;
  const titleId = `dlg-${Math.random().toString(36).slice(2)}`;
  const closeBtn = h('button', { type: 'button', class: 'icon close', 'aria-label': 'Close' }, '×');
  const el = h(
    'dialog',
    { 'aria-labelledby': titleId, class: opts.wide ? 'wide' : null },
    h('header', null, h('h2', { id: titleId }, title), closeBtn),
    h('div', { class: 'dialog-body' }, ...body),
  );
  const close = () => el.close();
  closeBtn.addEventListener('click', close);
  el.addEventListener('close', () => {
    el.remove();
    opts.onClose?.();
    opener?.focus();
  });
  document.body.appendChild(el);
  el.showModal();
  return { el, close };
}

/** Asks before an action; resolves once the action succeeded (errors show in the dialog). */
export function confirmAction(opts: { title: string; text: Child; confirm: string; danger?: boolean; action: () => Promise<void> }): Promise<boolean> {
  return new Promise((resolve) => {
    let done = false;
    const errors = h('div', { class: 'form-errors' });
    const ok = h('button', { type: 'button', class: opts.danger ? 'danger' : 'primary', 'data-write': 'true' }, opts.confirm);
    const cancel = h('button', { type: 'button' }, 'Cancel');
    const dlg = openDialog(opts.title, [h('p', null, opts.text), errors, h('div', { class: 'actions' }, ok, cancel)], {
      onClose: () => resolve(done),
    });
    cancel.addEventListener('click', () => dlg.close());
    ok.addEventListener('click', async () => {
      const r = await busy(ok, errors, async () => {
        await opts.action();
        return true;
      });
      if (r) {
        done = true;
        dlg.close();
      }
    });
    cancel.focus();
  });
}
