// One device: what it is (UDI, VA, state), how it registered (token, policy key, collector
// target), its latest usage per entitlement, its recent reports with whether the cloud has
// acknowledged them, and its events. Reached from the devices list (`#/device?id=…`).
import { get } from '../api.ts';
import { asyncCard, card, facts } from '../components/card.ts';
import { emptyState } from '../components/notice.ts';
import { pagedList } from '../components/paged-list.ts';
import { badge, table } from '../components/table.ts';
import { h, mount, type Child } from '../dom.ts';
import { num, plural, relative, when } from '../format.ts';
import type { PageContext } from '../page.ts';
import type { Device, DeviceReport, OutpostEvent, Page } from '../types.ts';
import { details } from './events.ts';

export async function renderDevice(ctx: PageContext): Promise<void> {
  const { session, signal } = ctx;
  const id = ctx.params.get('id') ?? '';
  const back = h('p', { class: 'back' }, h('a', { href: '#/devices' }, '← All devices'));
  if (!id) {
    mount(ctx.root, back, emptyState('No device was named. Open one from the devices list.'));
    return;
  }
  const d = await get<Device>(`/api/devices/${encodeURIComponent(id)}`, undefined, signal);
  const name = d.hostname ?? `${d.udi.pid} ${d.udi.sn}`;
  const heading = ctx.root.parentElement?.querySelector('h1');
  if (heading) heading.textContent = `Device ${name}`;
  document.title = `${name} · Outpost`;

  // The registration event says which token a device used; it is in the event log, for those who may read it.
  const canEvents = session.canIn('events.read', d.virtualAccount);
  const events = canEvents ? get<Page<OutpostEvent>>('/api/events', { device: d.id, limit: 50 }, signal) : null;
  const reportsEl = h('div', { class: 'results' });

  mount(
    ctx.root,
    back,
    h(
      'div',
      { class: 'grid' },
      card('Device', identity(d)),
      asyncCard('How it registered', async () => registration(d, events ? (await events).items : null), { testId: 'device-registration' }),
      card('Latest usage', latestUsage(d)),
      h('section', { class: 'card span-3', 'aria-labelledby': 'card-reports', 'data-testid': 'device-reports' }, h('h2', { id: 'card-reports' }, 'Recent reports'), reportsEl),
      events
        ? asyncCard('Events', async () => eventTable((await events).items), { class: 'span-3', testId: 'device-events' })
        : card('Events', h('p', { class: 'muted' }, 'Your role does not include the event log of this virtual account.')),
    ),
  );
  await pagedList<DeviceReport>(reportsEl, {
    what: 'reports',
    fetch: (cursor) => get<Page<DeviceReport>>(`/api/devices/${encodeURIComponent(d.id)}/reports`, { limit: 20, cursor }, signal),
    render: reportTable,
  }).reload();
}

function identity(d: Device): Child {
  return facts([
    ['Hostname', d.hostname ?? '—'],
    ['Product ID (PID)', h('code', null, d.udi.pid)],
    ['Serial number', h('code', { class: 'serial' }, d.udi.sn)],
    ['Virtual account', d.virtualAccount.path],
    ['State', [badge(d.state, d.state === 'registered' ? 'ok' : 'muted'), d.revoked ? [' ', badge('revoked by the cloud', 'bad')] : null]],
    ['Registered', h('span', { title: relative(d.registeredAt) }, when(d.registeredAt))],
    ['Last report', d.lastReportAt ? `${when(d.lastReportAt)} (${relative(d.lastReportAt)})` : 'never'],
  ]);
}

const VIA_WORDS: Record<string, string> = {
  token: 'with a registration token',
  policy: 'by policy: it reports signed with its own key, without registering',
  collector: 'collected: the satellite reads it from a collector target',
};

function registration(d: Device, events: OutpostEvent[] | null): Child {
  const rows: Array<[string, Child]> = [['How', VIA_WORDS[d.via] ?? d.via]];
  if (d.via === 'token') {
    const reg = events?.find((e) => (e.type === 'device.registered' || e.type === 'device.reregistered') && typeof e.details.tokenId === 'string');
    rows.push(['Token', reg ? h('code', { class: 'key-id' }, String(reg.details.tokenId)) : events ? 'not in the event log any more' : 'in the event log (your role cannot read it)']);
  }
  if (d.via === 'policy') {
    rows.push(['Pinned key (RFC 7638 thumbprint)', d.keyThumbprint ? h('code', { class: 'key-id', 'data-thumbprint': d.keyThumbprint }, d.keyThumbprint) : 'none pinned: the next signed report pins its key']);
  }
  // Collected devices (SPEC §9) carry the target they are read from.
  const target = (d as Device & { target?: unknown }).target;
  if (target !== undefined && target !== null) rows.push(['Collector target', typeof target === 'object' ? h('code', { class: 'key-id' }, JSON.stringify(target)) : String(target)]);
  return facts(rows);
}

function latestUsage(d: Device): Child {
  if (d.usage === null) return emptyState('This device has not reported yet.');
  const entries = Object.entries(d.usage).sort(([a], [b]) => a.localeCompare(b));
  return table<[string, number]>({
    caption: d.lastReportAt ? `From its latest report (${when(d.lastReportAt)}); counted in ${d.virtualAccount.path} while registered` : 'From its latest report',
    empty: 'Its latest report lists no entitlement in use.',
    rows: entries,
    rowKey: ([e]) => e,
    columns: [
      { label: 'Entitlement', cell: ([e]) => h('strong', null, e) },
      { label: 'In use', cell: ([, n]) => num(n), class: 'num' },
    ],
  });
}

function reportTable(items: DeviceReport[]): HTMLElement {
  return table<DeviceReport>({
    caption: 'Newest first',
    empty: 'No reports kept for this device.',
    rows: items,
    rowKey: (r) => r.reportId,
    columns: [
      { label: 'Received', cell: (r) => (r.receivedAt ? h('span', { title: relative(r.receivedAt) }, when(r.receivedAt)) : '—'), class: 'nowrap' },
      { label: 'Window', cell: (r) => (r.window ? `${when(r.window.start)} – ${when(r.window.end)}` : h('span', { class: 'muted' }, 'not kept after acknowledgement')) },
      {
        label: 'Usage',
        cell: (r) =>
          r.usage === null
            ? h('span', { class: 'muted' }, 'not kept after acknowledgement')
            : r.usage.length === 0
              ? 'nothing in use'
              : h('ul', { class: 'usage-list' }, ...r.usage.map((u) => h('li', null, h('span', { class: 'ent' }, u.entitlement), ` × ${num(u.count)}`))),
      },
      {
        label: 'Cloud',
        cell: (r) =>
          r.acknowledged
            ? [badge('acknowledged', 'ok'), h('span', { class: 'hint block' }, `${when(r.acknowledged.at)}, with satellite report #${r.acknowledged.bundleSequence}`)]
            : r.acknowledgedLongAgo
              ? badge('acknowledged', 'ok')
              : badge('waiting for the cloud', 'warn'),
      },
      { label: 'Report id', cell: (r) => h('code', { class: 'key-id' }, r.reportId) },
    ],
  });
}

function eventTable(items: OutpostEvent[]): Child {
  return table<OutpostEvent>({
    caption: `The latest ${plural(items.length, 'event')} about this device, newest first`,
    empty: 'No events about this device.',
    rows: items,
    rowKey: (e) => e.id,
    columns: [
      { label: 'When', cell: (e) => when(e.at), class: 'nowrap' },
      { label: 'What', cell: (e) => h('code', null, e.type) },
      { label: 'Who', cell: (e) => e.actor },
      { label: 'Details', cell: (e) => details(e.details) },
    ],
  });
}
