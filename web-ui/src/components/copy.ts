// A copy-to-clipboard button for a secret or a code.
import { h } from '../dom.ts';
import { toast } from './notice.ts';

export function copyButton(getText: () => string, label = 'Copy'): HTMLButtonElement {
  const btn = h('button', { type: 'button', class: 'copy' }, label);
  btn.addEventListener('click', async () => {
    const text = getText();
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      // No clipboard permission (or not a secure context): select the text for Ctrl+C instead.
      const area = btn.parentElement?.querySelector('textarea, input') as HTMLInputElement | null;
      area?.select();
      toast('Press Ctrl+C to copy the selected text.', 'info');
      return;
    }
    btn.textContent = 'Copied';
    toast('Copied to the clipboard.');
    setTimeout(() => (btn.textContent = label), 2000);
  });
  return btn;
}

/** A read-only code box with its copy button. */
export function codeBox(label: string, value: string, opts: { rows?: number; testId?: string } = {}): HTMLElement {
  const id = `code-${Math.random().toString(36).slice(2)}`;
  const area = h('textarea', { id, readonly: true, rows: opts.rows ?? 3, class: 'code', spellcheck: 'false', 'data-testid': opts.testId });
  area.value = value;
  return h('div', { class: 'field code-box' }, h('label', { for: id }, label), area, copyButton(() => area.value));
}
