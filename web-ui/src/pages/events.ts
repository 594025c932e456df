// The event log, newest first, filtered by type, virtual account and time.
import { get } from '../api.ts';
import { field, form, input } from '../components/form.ts';
import { pagedList } from '../components/paged-list.ts';
import { table } from '../components/table.ts';
import { vaSelect } from '../components/va-select.ts';
import { loadVas } from '../data.ts';
import { h, mount } from '../dom.ts';
import { detailText, localInputToIso, vaText, when } from '../format.ts';
import type { PageContext } from '../page.ts';
import type { OutpostEvent, Page, VirtualAccount } from '../types.ts';

/** Types the dashboard suggests; the filter takes any. */
const KNOWN_TYPES = [
  'token.created',
  'token.revoked',
  'device.registered',
  'device.deregistered',
  'device.moved',
  'device.key_reset',
  'license.transferred',
  'reservation.created',
  'reservation.returned',
  'virtual-account.created',
  'virtual-account.renamed',
  'virtual-account.deleted',
  'user.created',
  'user.login',
  'user.login_failed',
  'user.password_changed',
  'user.sessions_ended',
  'user.session_expired',
  'api_token.created',
  'api_token.revoked',
  'api_token.auth_failed',
  'sync.exported',
  'sync.imported',
  'sync.failed',
  'store.upgraded',
  'backup.written',
  'backup.failed',
  'satellite.registered',
  'satellite.lapsed',
];

const isoToLocalInput = (iso: string | null): string => {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
};

export async function renderEvents(ctx: PageContext): Promise<void> {
  const { params, signal } = ctx;
  const filter = { type: params.get('type') ?? '', va: params.get('va') ?? '', since: params.get('since') ?? '', until: params.get('until') ?? '' };
  const vas: VirtualAccount[] = await loadVas(signal).catch(() => []);

  const type = input({ name: 'type', value: filter.type, list: 'event-types', placeholder: 'e.g. token.created' });
  const va = vaSelect(vas, { selected: filter.va, all: 'Any (including account-wide events)', name: 'va' });
  const since = input({ name: 'since', type: 'datetime-local', value: isoToLocalInput(filter.since) });
  const until = input({ name: 'until', type: 'datetime-local', value: isoToLocalInput(filter.until) });
  const clear = h('button', { type: 'button' }, 'Clear filters');
  clear.addEventListener('click', () => ctx.navigate('events'));
  const list = h('div');
  mount(
    ctx.root,
    form({
      label: 'Filter events',
      write: false,
      submit: 'Apply filters',
      fields: [
        h('datalist', { id: 'event-types' }, ...KNOWN_TYPES.map((t) => h('option', { value: t }))),
        h('div', { class: 'row' }, field('Type', type), field('Virtual account', va), field('Since', since), field('Until', until)),
      ],
      extra: [clear],
      onSubmit: async () => {
        ctx.navigate('events', { type: type.value.trim(), va: va.value, since: localInputToIso(since.value), until: localInputToIso(until.value) });
      },
    }),
    list,
  );

  await pagedList<OutpostEvent>(list, {
    what: 'events',
    fetch: (cursor) => get<Page<OutpostEvent>>('/api/events', { ...filter, limit: 50, cursor }, signal),
    render: (items) =>
      table<OutpostEvent>({
        caption: 'Events, newest first',
        empty: Object.values(filter).some(Boolean) ? 'No event matches these filters.' : 'No events yet.',
        rows: items,
        rowKey: (e) => e.id,
        columns: [
          { label: 'When', cell: (e) => when(e.at) },
          { label: 'Actor', cell: (e) => e.actor },
          { label: 'Type', cell: (e) => h('code', null, e.type) },
          { label: 'Virtual account', cell: (e) => vaText(e.virtualAccount) },
          { label: 'Details', cell: (e) => details(e.details) },
        ],
      }),
  }).reload();
}

export function details(d: Record<string, unknown>): HTMLElement {
  const entries = Object.entries(d ?? {});
  if (entries.length === 0) return h('span', { class: 'muted' }, '—');
  return h(
    'span',
    { class: 'details' },
    ...entries.map(([k, v]) => h('span', { class: 'kv' }, h('span', { class: 'k' }, `${k}: `), detailText(v))),
  );
}
