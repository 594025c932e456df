// Report downloads (CSV, XLSX) with progress; each is scoped by the API to what the user may see.
import { download } from '../api.ts';
import { card } from '../components/card.ts';
import { busy } from '../components/form.ts';
import { toast } from '../components/notice.ts';
import { progress } from '../components/progress.ts';
import { h, mount } from '../dom.ts';
import { bytes } from '../format.ts';
import type { PageContext } from '../page.ts';

const REPORTS = [
  { name: 'licenses', title: 'Licenses', text: 'Each virtual account’s pools: purchased, reserved, in use, available, status.' },
  { name: 'subscriptions', title: 'Subscriptions', text: 'The purchased lines: SKU, entitlement, quantity, type, start and end.' },
  { name: 'devices', title: 'Devices', text: 'Every device: UDI, hostname, virtual account, state, how it registered, last report.' },
] as const;

export async function renderReports(ctx: PageContext): Promise<void> {
  mount(
    ctx.root,
    h('p', { class: 'muted' }, 'Cells that start with =, +, - or @ (even after spaces), a tab or a carriage return are prefixed with an apostrophe, so no device-supplied text runs as a spreadsheet formula.'),
    h(
      'div',
      { class: 'grid' },
      ...REPORTS.map((r) => {
        const slot = h('div', { class: 'download-status' });
        const errors = h('div');
        const buttons = (['csv', 'xlsx'] as const).map((format) => {
          const b = h('button', { type: 'button', 'data-report': `${r.name}.${format}` }, `Download ${format.toUpperCase()}`);
          b.addEventListener('click', () => {
            const bar = progress(`Preparing ${r.title.toLowerCase()} (${format.toUpperCase()})…`);
            mount(slot, bar.el);
            void busy(b, errors, async () => {
              const file = await download('GET', `/api/reports/${r.name}`, {
                query: { format },
                fallbackName: `outpost-${r.name}.${format}`,
                onProgress: bar.update,
                signal: ctx.signal,
              });
              bar.done(`Saved ${file.name} (${bytes(file.bytes)}).`);
              toast(`Downloaded ${file.name}.`);
              return true;
            }).then((ok) => {
              if (ok === undefined) slot.replaceChildren();
            });
          });
          return b;
        });
        return card(r.title, h('p', null, r.text), h('div', { class: 'actions' }, ...buttons), slot, errors);
      }),
    ),
  );
}
