// Devices: search, filter, sort and page through the API's cursor (one page at a time — never
// the whole list, which may hold 100,000), deregister, move, reset a policy device's key.
import { del, get, post } from '../api.ts';
import { confirmAction, openDialog } from '../components/dialog.ts';
import { field, form, input, select } from '../components/form.ts';
import { errorBox, loading, toast } from '../components/notice.ts';
import { CursorPager, pagerControls } from '../components/pager.ts';
import { badge, table, type SortState } from '../components/table.ts';
import { vaSelect } from '../components/va-select.ts';
import { loadVas } from '../data.ts';
import { h, mount, type Child } from '../dom.ts';
import { num, relative, when } from '../format.ts';
import type { PageContext } from '../page.ts';
import type { Device, Page, VirtualAccount } from '../types.ts';

const LIMITS = ['25', '50', '100', '200'];
const DEFAULT_SORT = { key: 'lastReportAt', dir: 'desc' } as const;

/** The list's query as the API takes it (SPEC §4: `va`, `nested`, `q`, `state`, `limit`, `cursor`; sorting as `sort` and `order`). */
export interface DeviceQuery {
  q: string;
  state: '' | 'registered' | 'deregistered';
  /** How the device came: a registration token, policy mode or the collector. */
  via: '' | 'token' | 'policy' | 'collector';
  va: string;
  nested: boolean;
  sort: string;
  order: 'asc' | 'desc';
  limit: string;
}

export function deviceQueryOf(params: URLSearchParams): DeviceQuery {
  const state = params.get('state');
  const via = params.get('via');
  const limit = params.get('limit') ?? '50';
  return {
    q: params.get('q') ?? '',
    state: state === 'registered' || state === 'deregistered' ? state : '',
    via: via === 'token' || via === 'policy' || via === 'collector' ? via : '',
    va: params.get('va') ?? '',
    nested: params.get('nested') === 'true',
    // Opens with the most recent reports first; the API's own default order stays by id.
    sort: params.get('sort') ?? DEFAULT_SORT.key,
    order: params.get('sort') === null ? DEFAULT_SORT.dir : params.get('order') === 'desc' ? 'desc' : 'asc',
    limit: LIMITS.includes(limit) ? limit : '50',
  };
}

function apiQuery(f: DeviceQuery, cursor: string | null) {
  return {
    q: f.q.trim() || undefined,
    state: f.state || undefined,
    via: f.via || undefined,
    va: f.va || undefined,
    nested: f.va && f.nested ? true : undefined,
    // `-field` is descending (SPEC §4 lists: `sort=-lastReportAt`).
    sort: f.sort ? `${f.order === 'desc' ? '-' : ''}${f.sort}` : undefined,
    limit: f.limit,
    cursor,
  };
}

export async function renderDevices(ctx: PageContext): Promise<void> {
  const { session, signal } = ctx;
  const f = deviceQueryOf(ctx.params);
  const pager = new CursorPager();
  let vas: VirtualAccount[] = [];

  // The filters: changing one re-reads the first page and rewrites the hash without a reload.
  const q = input({ type: 'search', name: 'q', value: f.q, placeholder: 'hostname, PID or serial', id: 'dev-q' });
  const stateSel = select(
    [
      { value: '', label: 'Any state' },
      { value: 'registered', label: 'Registered' },
      { value: 'deregistered', label: 'Deregistered' },
    ],
    { name: 'state', id: 'dev-state' },
    f.state,
  );
  const viaSel = select(
    [
      { value: '', label: 'Any way' },
      { value: 'token', label: 'Registration token' },
      { value: 'policy', label: 'Policy mode' },
      { value: 'collector', label: 'Collector' },
    ],
    { name: 'via', id: 'dev-via' },
    f.via,
  );
  const vaSel = h('select', { name: 'va', id: 'dev-va' }, h('option', { value: f.va }, f.va ? 'Loading…' : 'All virtual accounts'));
  const nested = h('input', { type: 'checkbox', id: 'dev-nested', checked: f.nested });
  const limitSel = select(
    LIMITS.map((l) => ({ value: l, label: `${l} a page` })),
    { name: 'limit', id: 'dev-limit' },
    f.limit,
  );
  const results = h('div', { class: 'results', 'aria-live': 'polite' });

  mount(
    ctx.root,
    h(
      'form',
      { class: 'toolbar filters', role: 'search', 'aria-label': 'Find devices', onsubmit: (ev: Event) => ev.preventDefault() },
      h('div', { class: 'field inline grow' }, h('label', { for: 'dev-q' }, 'Search'), q),
      h('div', { class: 'field inline' }, h('label', { for: 'dev-state' }, 'State'), stateSel),
      h('div', { class: 'field inline' }, h('label', { for: 'dev-via' }, 'Came by'), viaSel),
      h('div', { class: 'field inline' }, h('label', { for: 'dev-va' }, 'Virtual account'), vaSel),
      h('div', { class: 'field inline check' }, nested, h('label', { for: 'dev-nested' }, 'and nested')),
      h('div', { class: 'field inline' }, h('label', { for: 'dev-limit' }, 'Page size'), limitSel),
    ),
    results,
  );

  let inFlight: AbortController | null = null;
  let debounce: ReturnType<typeof setTimeout> | undefined;
  signal.addEventListener('abort', () => {
    inFlight?.abort();
    clearTimeout(debounce);
  });
  let seq = 0;

  const load = async (): Promise<void> => {
    const mine = ++seq;
    inFlight?.abort();
    const abort = new AbortController();
    inFlight = abort;
    results.setAttribute('aria-busy', 'true');
    if (!results.firstChild) mount(results, loading('Loading devices…'));
    let page: Page<Device>;
    try {
      page = await get<Page<Device>>('/api/devices', apiQuery(f, pager.cursor), abort.signal);
    } catch (err) {
      if (mine !== seq || abort.signal.aborted) return;
      results.removeAttribute('aria-busy');
      mount(results, errorBox(err, 'The devices could not be read.'));
      return;
    }
    if (mine !== seq) return;
    results.removeAttribute('aria-busy');
    renderResults(page);
    performance.mark('outpost:devices-rendered');
  };

  const applyFilters = () => {
    if (signal.aborted) return; // the user has left: the address is another page's now
    f.q = q.value;
    f.state = stateSel.value as DeviceQuery['state'];
    f.via = viaSel.value as DeviceQuery['via'];
    f.va = vaSel.value;
    f.nested = nested.checked;
    f.limit = limitSel.value;
    pager.reset();
    history.replaceState(null, '', withHash(f));
    void load();
  };

  q.addEventListener('input', () => {
    clearTimeout(debounce);
    debounce = setTimeout(applyFilters, 250);
  });
  q.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter') {
      clearTimeout(debounce);
      applyFilters();
    }
  });
  for (const el of [stateSel, viaSel, vaSel, nested, limitSel]) el.addEventListener('change', applyFilters);

  const onSort = (s: SortState) => {
    if (signal.aborted) return;
    f.sort = s.key;
    f.order = s.dir;
    pager.reset();
    history.replaceState(null, '', withHash(f));
    void load();
  };

  const canWriteSomewhere = session.canAny('license.write');
  const renderResults = (page: Page<Device>) => {
    const writable = (d: Device) => session.canIn('license.write', d.virtualAccount);
    mount(
      results,
      table<Device>({
        caption: f.q || f.state || f.va ? 'Devices matching the filters' : 'Devices',
        empty: f.q || f.state || f.va ? 'No device matches these filters.' : 'No devices yet. Create a registration token and register a device with it.',
        rows: page.items,
        rowKey: (d) => d.id,
        sort: f.sort ? { key: f.sort, dir: f.order } : null,
        onSort,
        columns: [
          {
            label: 'Hostname',
            sort: 'hostname',
            cell: (d) => h('a', { href: `#/device?id=${encodeURIComponent(d.id)}`, class: 'device-link', 'aria-label': `Details of ${d.hostname ?? `${d.udi.pid} ${d.udi.sn}`}` }, h('strong', null, d.hostname ?? '—')),
          },
          { label: 'PID / serial', cell: (d) => [d.udi.pid, ' / ', h('code', { class: 'serial' }, d.udi.sn)], class: 'nowrap' },
          { label: 'Virtual account', cell: (d) => d.virtualAccount.path, class: 'nowrap' },
          {
            label: 'State',
            cell: (d) => [badge(d.state, d.state === 'registered' ? 'ok' : 'muted'), d.revoked ? [' ', badge('revoked by the cloud', 'bad')] : null],
          },
          {
            label: 'Via',
            class: 'nowrap',
            cell: (d) =>
              d.via === 'policy'
                ? h(
                    'span',
                    { class: 'via-policy' },
                    'via: policy',
                    d.keyThumbprint
                      ? h(
                          'span',
                          { class: 'thumb' },
                          'key ',
                          // Shortened like a commit hash; the whole RFC 7638 thumbprint is in the title.
                          h('code', { title: `Pinned key, RFC 7638 thumbprint: ${d.keyThumbprint}`, 'data-thumbprint': d.keyThumbprint }, `${d.keyThumbprint.slice(0, 10)}…`),
                        )
                      : h('span', { class: 'thumb' }, 'no key pinned'),
                  )
                : 'via: token',
          },
          { label: 'Registered', sort: 'registeredAt', class: 'nowrap', cell: (d) => h('span', { title: when(d.registeredAt) }, relative(d.registeredAt)) },
          { label: 'Last report', sort: 'lastReportAt', class: 'nowrap', cell: (d) => (d.lastReportAt ? h('span', { title: when(d.lastReportAt) }, relative(d.lastReportAt)) : 'never') },
          { label: 'Usage', class: 'usage', cell: (d) => usageCell(d.usage) },
          ...(canWriteSomewhere ? [{ label: 'Actions', cell: (d: Device) => (writable(d) ? actions(d) : null) }] : []),
        ],
      }),
      pagerControls(pager, page.next, page.items.length, () => void load(), 'devices'),
    );
  };

  const actions = (d: Device): Child => {
    const name = d.hostname ?? `${d.udi.pid} ${d.udi.sn}`;
    const out: Child[] = [h('button', { type: 'button', class: 'small', 'data-write': 'true', 'aria-label': `Move ${name}`, onclick: () => moveDialog(d, vas.filter((v) => session.canIn('license.write', v)), () => void load()) }, 'Move…')];
    if (d.state === 'registered') {
      out.push(
        h(
          'button',
          {
            type: 'button',
            class: 'small danger',
            'data-write': 'true',
            'aria-label': `Deregister ${name}`,
            onclick: () =>
              void confirmAction({
                title: `Deregister ${name}?`,
                text: 'The device leaves: its usage stops counting and its credential stops working. It can register again with a token.',
                confirm: 'Deregister',
                danger: true,
                action: async () => {
                  await del(`/api/devices/${encodeURIComponent(d.id)}`);
                  toast(`${name} was deregistered.`);
                  void load();
                },
              }),
          },
          'Deregister',
        ),
      );
    }
    if (d.via === 'policy') {
      out.push(
        h(
          'button',
          {
            type: 'button',
            class: 'small',
            'data-write': 'true',
            'aria-label': `Reset the key of ${name}`,
            onclick: () =>
              void confirmAction({
                title: `Reset the key of ${name}?`,
                text: 'The pinned key is forgotten: the next report signed by any key pins that key. Do this when the device was replaced or re-keyed.',
                confirm: 'Reset key',
                action: async () => {
                  await post(`/api/devices/${encodeURIComponent(d.id)}/reset-key`);
                  toast(`The key of ${name} was reset.`);
                  void load();
                },
              }),
          },
          'Reset key',
        ),
      );
    }
    if (d.revoked) {
      out.push(
        h(
          'button',
          {
            type: 'button',
            class: 'small',
            'data-write': 'true',
            onclick: () =>
              void confirmAction({
                title: `Reinstate ${name}?`,
                text: 'The cloud revoked this device. Reinstated, it may register again.',
                confirm: 'Reinstate',
                action: async () => {
                  await post(`/api/devices/${encodeURIComponent(d.id)}/reinstate`);
                  void load();
                },
              }),
          },
          'Reinstate',
        ),
      );
    }
    return h('span', { class: 'row-actions' }, ...out);
  };

  // The first page and the VAs load together; the table does not wait for the VAs.
  const first = load();
  loadVas(signal)
    .then((list) => {
      vas = list;
      const sel = vaSelect(list, { selected: f.va, all: 'All virtual accounts' });
      vaSel.replaceChildren(...Array.from(sel.options));
      vaSel.value = f.va;
    })
    .catch(() => {
      vaSel.replaceChildren(h('option', { value: '' }, 'All virtual accounts'));
    });
  await first;
}

/** A device's latest usage, one entitlement a line; none reported says so. */
export function usageCell(usage: Record<string, number> | null): Child {
  if (usage === null) return h('span', { class: 'muted' }, 'none reported');
  const entries = Object.entries(usage).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return h('span', { class: 'muted' }, 'nothing in use');
  return h('ul', { class: 'usage-list' }, ...entries.map(([e, n]) => h('li', null, h('span', { class: 'ent' }, e), ' ', h('span', { class: 'count' }, `× ${num(n)}`))));
}

function withHash(f: DeviceQuery): string {
  const p = new URLSearchParams();
  if (f.q) p.set('q', f.q);
  if (f.state) p.set('state', f.state);
  if (f.via) p.set('via', f.via);
  if (f.va) p.set('va', f.va);
  if (f.va && f.nested) p.set('nested', 'true');
  if (f.sort && !(f.sort === DEFAULT_SORT.key && f.order === DEFAULT_SORT.dir)) {
    p.set('sort', f.sort);
    p.set('order', f.order);
  }
  if (f.limit !== '50') p.set('limit', f.limit);
  const s = p.toString();
  return `#/devices${s ? `?${s}` : ''}`;
}

function moveDialog(d: Device, vas: VirtualAccount[], done: () => void): void {
  const target = vaSelect(vas, { selected: d.virtualAccount.id, name: 'virtualAccount', required: true });
  const dlg = openDialog(`Move ${d.hostname ?? d.udi.sn}`, [
    form({
      label: 'Move device',
      submit: 'Move',
      busyLabel: 'Moving…',
      fields: [h('p', null, `Now in ${d.virtualAccount.path}.`), field('To virtual account', target)],
      onSubmit: async () => {
        const moved = await post<Device>(`/api/devices/${encodeURIComponent(d.id)}/move`, { virtualAccount: target.value });
        dlg.close();
        toast(`Moved to ${moved.virtualAccount?.path ?? 'the new account'}.`);
        done();
      },
    }),
  ]);
  target.focus();
}
