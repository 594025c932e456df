// Cisco products (SPEC §9): the collector's targets with their last poll, reports collected and
// acknowledgements pending/delivered; add, edit, poll now ("test") and remove; Cisco's own files
// (the RUM usage export and the acknowledgement import) for accounts on Cisco's cloud.
import { del, download, get, patch, post, upload } from '../api.ts';
import { card } from '../components/card.ts';
import { confirmAction, openDialog } from '../components/dialog.ts';
import { field, form, input } from '../components/form.ts';
import { notice, toast } from '../components/notice.ts';
import { pagedList } from '../components/paged-list.ts';
import { badge, table } from '../components/table.ts';
import { h, mount } from '../dom.ts';
import { relative, when } from '../format.ts';
import type { PageContext } from '../page.ts';
import type { Page } from '../types.ts';
import type { TargetJson as Target } from '../../../daemon/collector/service.ts';

function pollCell(t: Target): Node {
  const p = t.lastPoll;
  if (!p) return badge('never polled', 'muted');
  const label = p.ok ? (p.error ? p.error.code : 'ok') : (p.error?.code ?? 'failed');
  return h('span', { title: p.error?.message ?? when(p.at) }, badge(label, p.ok ? (p.error ? 'warn' : 'ok') : 'bad'), ' ', relative(p.at));
}

export async function renderCollector(ctx: PageContext): Promise<void> {
  const { session, signal } = ctx;
  const list = h('div', { class: 'target-list' });
  const top = h('div');
  mount(ctx.root, top, card('Cisco products', list));

  const targets = pagedList<Target>(list, {
    what: 'targets',
    fetch: (cursor) => get<Page<Target>>('/api/collector/targets', { limit: 50, cursor }, signal),
    render: (items) =>
      table<Target>({
        caption: 'Collector targets',
        empty: 'No products yet. Add one to collect its usage reports (RUM) over its REST API.',
        rows: items,
        rowKey: (t) => t.id,
        columns: [
          { label: 'Address', cell: (t) => h('span', null, t.address, ...t.warnings.map((w) => h('span', { class: 'muted', title: w }, ' ⚠'))) },
          { label: 'User', cell: (t) => t.username },
          { label: 'Virtual account', cell: (t) => t.virtualAccount.path },
          { label: 'Last poll', cell: pollCell },
          { label: 'Reports', cell: (t) => String(t.reportsCollected), class: 'num' },
          { label: 'Acks pending / delivered', cell: (t) => h('span', { title: t.acks.lastError ?? '' }, `${t.acks.pending} / ${t.acks.delivered}`), class: 'num' },
          {
            label: 'Actions',
            cell: (t) =>
              session.canIn('license.write', t.virtualAccount)
                ? h(
                    'span',
                    { class: 'actions' },
                    h('button', {
                      type: 'button', class: 'small', 'data-write': 'true', 'aria-label': `Poll ${t.address} now`,
                      onclick: async () => {
                        await post('/api/collector/poll', { targets: [t.id] });
                        toast(`Polling ${t.address}; the result shows here in a moment.`);
                        setTimeout(() => void targets.reload(), 2000);
                      },
                    }, 'Poll now'),
                    h('button', { type: 'button', class: 'small', 'data-write': 'true', onclick: () => editDialog(t, () => void targets.reload()) }, 'Edit'),
                    h('button', {
                      type: 'button', class: 'small danger', 'data-write': 'true', 'aria-label': `Remove ${t.address}`,
                      onclick: () =>
                        void confirmAction({
                          title: 'Remove this product?',
                          text: `${t.address} is no longer polled. Its devices and the reports already collected stay.`,
                          confirm: 'Remove',
                          danger: true,
                          action: async () => {
                            await del(`/api/collector/targets/${encodeURIComponent(t.id)}`);
                            toast('The product was removed.');
                            void targets.reload();
                          },
                        }),
                    }, 'Remove'),
                  )
                : null,
          },
        ],
      }),
  });

  mount(top, ...(session.canAny('license.write') ? [addCard(() => void targets.reload())] : []), ...(session.canAny('sync.run') ? [filesCard()] : []));
  await targets.reload();
}

function tlsFields() {
  const ca = h('textarea', { name: 'ca', rows: 3, placeholder: '-----BEGIN CERTIFICATE-----' }) as HTMLTextAreaElement;
  const pin = input({ name: 'pin', maxlength: 64, placeholder: 'SHA-256 of the certificate, hex' });
  const verify = input({ name: 'verify', type: 'checkbox', checked: true });
  return { ca, pin, verify };
}

function addCard(added: () => void): HTMLElement {
  const address = input({ name: 'address', required: true, placeholder: 'https://10.1.2.3' });
  const username = input({ name: 'username', required: true, autocomplete: 'off' });
  const password = input({ name: 'password', type: 'password', required: true, autocomplete: 'new-password' });
  const va = input({ name: 'virtualAccount', value: 'Default' });
  const tls = tlsFields();
  const f = form({
    label: 'Add a Cisco product',
    submit: 'Add product',
    busyLabel: 'Adding…',
    fields: [
      h('div', { class: 'row' },
        field('Address', address, 'https://host[:port] of the product\'s HTTPS server.'),
        field('Username', username, 'A local user on the product.'),
        field('Password', password, 'Stored encrypted; never shown again.'),
        field('Virtual account', va)),
      h('div', { class: 'row' },
        field('Certificate or CA (PEM)', tls.ca, 'Products usually serve a self-signed certificate: paste it here, or pin it.'),
        field('Certificate pin', tls.pin),
        field('Verify the certificate', tls.verify, 'Off: only the pin (if any) is checked.')),
    ],
    onSubmit: async () => {
      const t = await post<Target>('/api/collector/targets', {
        address: address.value.trim(), username: username.value.trim(), password: password.value, virtualAccount: va.value.trim() || undefined,
        tls: { verify: tls.verify.checked, ca: tls.ca.value.trim() || null, pin: tls.pin.value.trim() || null },
      });
      f.reset();
      toast(`${t.address} was added; poll it to test the connection.`);
      added();
    },
  });
  return card('Add a Cisco product', f);
}

function editDialog(t: Target, saved: () => void): void {
  const address = input({ name: 'address', value: t.address, required: true });
  const username = input({ name: 'username', value: t.username, required: true });
  const password = input({ name: 'password', type: 'password', autocomplete: 'new-password', placeholder: 'unchanged' });
  const tls = tlsFields();
  tls.ca.value = t.tls.ca ?? '';
  tls.pin.value = t.tls.pin ?? '';
  tls.verify.checked = t.tls.verify;
  const dlg = openDialog(`Edit ${t.address}`, [
    form({
      label: 'Edit the product',
      submit: 'Save',
      busyLabel: 'Saving…',
      fields: [
        field('Address', address), field('Username', username),
        field('Password', password, 'Required when the address changes or the certificate check is weakened.'),
        field('Certificate or CA (PEM)', tls.ca), field('Certificate pin', tls.pin), field('Verify the certificate', tls.verify),
      ],
      onSubmit: async () => {
        await patch(`/api/collector/targets/${encodeURIComponent(t.id)}`, {
          address: address.value.trim(), username: username.value.trim(), ...(password.value ? { password: password.value } : {}),
          tls: { verify: tls.verify.checked, ca: tls.ca.value.trim() || null, pin: tls.pin.value.trim() || null },
        });
        dlg.close();
        toast('Saved.');
        saved();
      },
    }),
  ]);
}

function filesCard(): HTMLElement {
  const out = h('div', { 'data-testid': 'rum-result' });
  const exportBtn = h('button', {
    type: 'button', class: 'primary', 'data-write': 'true',
    onclick: async () => {
      const file = await download('POST', '/api/collector/rum/export', { fallbackName: 'outpost-rum.xml' });
      mount(out, notice('success', `Saved ${file.name}: upload it to Cisco's portal, then import the acknowledgement below.`));
    },
  }, 'Export RUM reports (XML)');
  const ack = h('input', { type: 'file', name: 'ack', accept: '.xml,.gz,.tgz,application/xml', required: true }) as HTMLInputElement;
  const f = form({
    label: 'Import an acknowledgement',
    submit: 'Import acknowledgement',
    busyLabel: 'Importing…',
    fields: [field('Acknowledgement from Cisco (.xml or .tar.gz)', ack, 'It goes to every product of the newest export.')],
    onSubmit: async () => {
      const chosen = ack.files?.[0];
      if (!chosen) return;
      const r = await upload<{ export: number; documents: number; queued: number; acknowledged: number }>('/api/collector/rum/import-ack', chosen, { type: 'application/octet-stream' });
      mount(out, notice('success', `${r.documents} document(s) for export ${r.export}: ${r.acknowledged} reports acknowledged, ${r.queued} deliveries to products queued.`));
    },
  });
  return card('Cisco\'s own files', h('p', null, 'For an account on Cisco\'s cloud: the usage file a product saves with "license smart save usage", and the acknowledgement that comes back.'), exportBtn, f, out);
}
