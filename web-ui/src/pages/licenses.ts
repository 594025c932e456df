// Licenses per virtual account: each pool's purchased, reserved, in use, available, status and
// flags; the transfer dialog moves quantity between VAs.
import { all, post } from '../api.ts';
import { openDialog } from '../components/dialog.ts';
import { usageOverTime } from '../components/history-chart.ts';
import { field, form, input, select } from '../components/form.ts';
import { emptyState, errorBox, loading, notice, toast } from '../components/notice.ts';
import { badge, table } from '../components/table.ts';
import { sortedVas, vaSelect } from '../components/va-select.ts';
import { loadVas } from '../data.ts';
import { h, mount, type Child } from '../dom.ts';
import { day, num, plural, vaText, when } from '../format.ts';
import { InputError } from '../messages.ts';
import type { PageContext } from '../page.ts';
import type { LicenseLine, Pool, Transfer, VirtualAccount } from '../types.ts';

export async function renderLicenses(ctx: PageContext): Promise<void> {
  const { session, signal, params } = ctx;
  const vas = await loadVas(signal);
  const va = params.get('va') ?? '';
  const nested = params.get('nested') === 'true';
  const accountWide = session.canAccount('license.read');

  const vaSel = vaSelect(vas, { selected: va, all: accountWide ? 'Whole account (sum of all virtual accounts)' : undefined, name: 'va' });
  vaSel.id = 'lic-va';
  const nestedBox = h('input', { type: 'checkbox', id: 'lic-nested', checked: nested, disabled: va === '' });
  const apply = () => ctx.navigate('licenses', { va: vaSel.value, nested: nestedBox.checked && vaSel.value ? 'true' : null });
  vaSel.addEventListener('change', apply);
  nestedBox.addEventListener('change', apply);

  const canTransfer = vas.some((v) => session.canIn('license.write', v));
  const transferBtn = canTransfer ? h('button', { type: 'button', class: 'primary', 'data-write': 'true' }, 'Transfer licenses…') : null;
  const list = h('div', { class: 'pools' });
  const historyEl = h('section', { class: 'usage-history', 'aria-labelledby': 'history-h', 'data-testid': 'history' }, h('h2', { id: 'history-h' }, 'Usage over time'), loading('Loading the usage over time…'));
  const linesEl = h('section', { class: 'lines', 'aria-labelledby': 'lines-h', 'data-testid': 'lines' }, h('h2', { id: 'lines-h' }, 'Lines behind the pools'), loading('Loading the lines…'));
  mount(
    ctx.root,
    h(
      'div',
      { class: 'toolbar', role: 'search' },
      h('div', { class: 'field inline' }, h('label', { for: 'lic-va' }, 'Virtual account'), vaSel),
      h('div', { class: 'field inline check' }, nestedBox, h('label', { for: 'lic-nested' }, 'Include nested accounts, each on its own')),
      transferBtn,
    ),
    list,
    historyEl,
    linesEl,
  );

  // Without an account-wide role, "all" is not an option: start at the first VA one may see.
  const query = va ? { va, nested: nested || undefined } : accountWide ? { va: 'all' } : { va: sortedVas(vas)[0]?.id ?? '' };
  // Lines: the whole scope for the account view (`va=all` is a sum; lines are listed per VA).
  const lineQuery = 'va' in query && query.va !== 'all' ? query : {};
  const lines = all<LicenseLine>('/api/licenses/lines', lineQuery, signal);
  lines.then(
    (items) => mount(linesEl, linesEl.firstChild, lineTables(items, vas)),
    (err: unknown) => {
      if (!(err instanceof DOMException && err.name === 'AbortError')) mount(linesEl, linesEl.firstChild, errorBox(err, 'The lines could not be read.'));
    },
  );
  const history = usageOverTime('va' in query && query.va !== 'all' ? { va: query.va, nested: 'nested' in query ? query.nested : undefined } : {}, signal);
  history.then(
    (el) => mount(historyEl, historyEl.firstChild, el),
    (err: unknown) => {
      if (!(err instanceof DOMException && err.name === 'AbortError')) mount(historyEl, historyEl.firstChild, errorBox(err, 'The usage over time could not be read.'));
    },
  );
  let pools: Pool[];
  try {
    pools = await all<Pool>('/api/licenses', query, signal);
  } catch (err) {
    mount(list, errorBox(err));
    return;
  }
  const rowCanTransfer = (p: Pool) => p.virtualAccount !== null && session.canIn('license.write', p.virtualAccount) && p.purchased > 0;
  mount(
    list,
    table({
      caption: va ? `Pools of ${vas.find((v) => v.id === va)?.path ?? va}${nested ? ' and the accounts below it' : ''}` : 'Pools of the whole account',
      empty: 'No licenses here yet. Entitlements arrive with the registration and each sync; transfers move them between virtual accounts.',
      rows: [...pools].sort((a, b) => vaText(a.virtualAccount).localeCompare(vaText(b.virtualAccount)) || a.entitlement.localeCompare(b.entitlement)),
      rowKey: (p) => `${p.virtualAccount?.id ?? 'all'}:${p.entitlement}`,
      columns: [
        ...(va && nested ? [{ label: 'Virtual account', cell: (p: Pool) => vaText(p.virtualAccount) }] : []),
        { label: 'Entitlement', cell: (p) => h('strong', null, p.entitlement) },
        { label: 'Purchased', cell: (p) => num(p.purchased), class: 'num' },
        { label: 'Reserved', cell: (p) => num(p.reserved), class: 'num' },
        { label: 'In use', cell: (p) => num(p.inUse), class: 'num' },
        { label: 'Available', cell: (p) => h('span', { class: p.available < 0 ? 'text-bad' : '' }, num(p.available)), class: 'num' },
        {
          label: 'Status',
          cell: (p) => [
            badge(p.status === 'ok' ? 'ok' : 'insufficient', p.status === 'ok' ? 'ok' : 'bad'),
            ...p.flags.map((f) => [' ', badge(f, f === 'expired' ? 'bad' : 'warn')]),
          ],
        },
        ...(canTransfer
          ? [
              {
                label: 'Actions',
                cell: (p: Pool) =>
                  rowCanTransfer(p)
                    ? h('button', { type: 'button', class: 'small', 'data-write': 'true', onclick: () => transferDialog(ctx, vas, { from: p.virtualAccount!.id, entitlement: p.entitlement }) }, 'Transfer…')
                    : null,
              },
            ]
          : []),
      ],
    }),
  );
  transferBtn?.addEventListener('click', () => transferDialog(ctx, vas, { from: va || undefined }));
  await Promise.all([lines.catch(() => {}), history.catch(() => {})]);
}

const STANDING: Record<LicenseLine['standing'], { label: string; kind: 'ok' | 'warn' | 'bad' | 'muted' | 'info' }> = {
  active: { label: 'active', kind: 'ok' },
  expiring: { label: 'expiring', kind: 'warn' },
  expired: { label: 'expired', kind: 'bad' },
  future: { label: 'not started', kind: 'info' },
};

/** One table per VA: each line of which it holds part, expiring and expired ones marked. */
function lineTables(items: LicenseLine[], vas: VirtualAccount[]): Child {
  if (items.length === 0) return emptyState('No license lines here. They arrive with the registration and each sync with the cloud.');
  const byVa = new Map<string, LicenseLine[]>();
  for (const l of items) byVa.set(l.virtualAccount.path, [...(byVa.get(l.virtualAccount.path) ?? []), l]);
  const known = new Set(vas.map((v) => v.path));
  return [...byVa].map(([path, rows]) =>
    table<LicenseLine>({
      caption: `${known.has(path) ? path : path || 'Unknown'}: ${plural(rows.length, 'line')}`,
      empty: '',
      rows,
      rowKey: (l) => `${l.virtualAccount.id}:${l.lineId}`,
      columns: [
        { label: 'Entitlement', cell: (l) => h('strong', null, l.entitlement) },
        { label: 'SKU', cell: (l) => h('code', null, l.sku) },
        { label: 'Description', cell: (l) => l.description || h('span', { class: 'muted' }, '(none)') },
        { label: 'Type', cell: (l) => l.type },
        { label: 'Quantity', cell: (l) => (l.quantity === l.lineQuantity ? num(l.quantity) : `${num(l.quantity)} of ${num(l.lineQuantity)}`), class: 'num' },
        { label: 'Start', cell: (l) => h('span', { title: when(l.startsAt) }, day(l.startsAt)), class: 'nowrap' },
        { label: 'End', cell: (l) => (l.endsAt ? h('span', { title: when(l.endsAt) }, day(l.endsAt)) : 'no end'), class: 'nowrap' },
        {
          label: 'Days left',
          class: 'nowrap',
          cell: (l) => {
            const st = STANDING[l.standing];
            const days = l.daysLeft === null ? 'no end' : l.daysLeft < 0 ? `ended ${plural(-l.daysLeft, 'day')} ago` : plural(l.daysLeft, 'day');
            return [badge(st.label, st.kind), ' ', h('span', { class: l.standing === 'expired' ? 'text-bad' : l.standing === 'expiring' ? 'text-warn' : '' }, days)];
          },
        },
        {
          label: 'Transferred',
          cell: (l) =>
            l.moves.length === 0 && !l.landedByDefault
              ? h('span', { class: 'muted' }, '—')
              : h(
                  'ul',
                  { class: 'moves' },
                  l.landedByDefault ? h('li', null, 'landed in Default: the cloud named no virtual account held here') : null,
                  ...l.moves.map((m) => h('li', null, `${m.direction === 'in' ? 'from' : 'to'} ${m.virtualAccount.path}: ${num(m.quantity)} on ${day(m.at)} by ${m.by}`)),
                ),
        },
      ],
    }),
  );
}

function transferDialog(ctx: PageContext, vas: VirtualAccount[], preset: { from?: string; entitlement?: string }): void {
  const writable = vas.filter((v) => ctx.session.canIn('license.write', v));
  const from = vaSelect(writable, { selected: preset.from ?? writable[0]?.id, name: 'from', required: true });
  const to = vaSelect(writable, { name: 'to', required: true, none: 'Choose…' });
  const entitlement = select([], { name: 'entitlement', required: true });
  const quantity = input({ name: 'quantity', id: 'xfer-qty', type: 'number', min: 1, step: 1, required: true, value: 1, inputmode: 'numeric' });
  const avail = h('small', { class: 'hint', id: 'xfer-avail' });
  quantity.setAttribute('aria-describedby', avail.id);

  const loadEntitlements = async () => {
    entitlement.replaceChildren(h('option', { value: '' }, 'Loading…'));
    try {
      const pools = (await all<Pool>('/api/licenses', { va: from.value })).filter((p) => p.purchased > 0);
      entitlement.replaceChildren(
        ...(pools.length ? pools : []).map((p) =>
          h(
            'option',
            { value: p.entitlement, selected: p.entitlement === preset.entitlement, 'data-available': p.available, 'data-purchased': p.purchased, 'data-in-use': p.inUse, 'data-reserved': p.reserved },
            `${p.entitlement} (${num(Math.max(0, p.available))} available of ${num(p.purchased)})`,
          ),
        ),
      );
      if (!pools.length) entitlement.replaceChildren(h('option', { value: '' }, 'This account holds no licenses'));
    } catch (err) {
      entitlement.replaceChildren(h('option', { value: '' }, 'Could not load the pools'));
      avail.replaceChildren(errorBox(err));
    }
    showAvail();
  };
  // Why nothing can move, in words; the submit waits until something can.
  const why = h('div', { class: 'why', 'data-testid': 'transfer-why' });
  const showAvail = () => {
    const opt = entitlement.selectedOptions[0];
    const a = opt?.dataset.available;
    const blockers: string[] = [];
    if (a === undefined) {
      avail.textContent = '';
      if (!opt?.value) blockers.push(`${vaText(writable.find((v) => v.id === from.value) ?? null)} holds no licenses to move.`);
    } else {
      const n = Number(a);
      avail.textContent = `${num(Math.max(0, n))} available to move.`;
      quantity.max = String(Math.max(1, n));
      if (n <= 0) {
        const used = Number(opt!.dataset.inUse ?? 0) + Number(opt!.dataset.reserved ?? 0);
        blockers.push(`Nothing of ${opt!.value} can move: ${num(used)} in use or reserved take ${n < 0 ? 'more than ' : ''}all ${num(Number(opt!.dataset.purchased ?? 0))} purchased.`);
      }
    }
    if (writable.filter((v) => v.id !== from.value).length === 0) blockers.push('There is no other virtual account you may move licenses to.');
    mount(why, blockers.length ? notice('info', blockers.join(' ')) : null);
    const submit = dlgForm.querySelector<HTMLButtonElement>('button[type="submit"]');
    if (submit) submit.disabled = blockers.length > 0;
  };
  from.addEventListener('change', () => void loadEntitlements());
  entitlement.addEventListener('change', showAvail);

  const dlgForm = form({
      label: 'Transfer licenses',
      submit: 'Transfer',
      busyLabel: 'Transferring…',
      fields: [field('From virtual account', from), field('Entitlement', entitlement), h('div', { class: 'field' }, h('label', { for: 'xfer-qty' }, 'Quantity'), quantity, avail), field('To virtual account', to), why],
      onSubmit: async () => {
        if (to.value === from.value) throw new InputError('Choose a different destination: the source and the destination are the same.');
        const t = await post<Transfer>('/api/licenses/transfer', {
          entitlement: entitlement.value,
          quantity: Number(quantity.value),
          from: from.value,
          to: to.value,
        });
        dlg.close();
        toast(`Moved ${t.quantity} ${t.entitlement} from ${t.from} to ${t.to}.`);
        ctx.navigate('licenses', Object.fromEntries(ctx.params));
      },
    });
  const dlg = openDialog('Transfer licenses', [dlgForm]);
  void loadEntitlements();
}
