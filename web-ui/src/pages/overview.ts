// The overview: compliance at a glance, registration and lapse, sync, alerts, devices, and the
// chart of licenses in use against purchased. What the summary email says (pools per VA, lines
// ending, silent devices, sync and lapse, open alerts) comes from one read of GET /api/summary,
// cut to the reader's VAs by the daemon; device counts and the account have reads of their own.
import { get, patch, post } from '../api.ts';
import { asyncCard, facts } from '../components/card.ts';
import { usageChart } from '../components/chart.ts';
import { usageOverTime } from '../components/history-chart.ts';
import { confirmAction, openDialog } from '../components/dialog.ts';
import { field, form, input, select } from '../components/form.ts';
import { emptyState, toast } from '../components/notice.ts';
import { badge, table } from '../components/table.ts';
import { h, mount, type Child } from '../dom.ts';
import { alertWords, day, exchangeErrorText, num, plural, relative, reportSequences, vaText, when } from '../format.ts';
import type { PageContext } from '../page.ts';
import type { Account, Alert, Pool, Status, Summary, SyncStatus } from '../types.ts';

export async function renderOverview(ctx: PageContext): Promise<void> {
  const { session, signal } = ctx;
  const status = get<Status>('/api/status', undefined, signal);
  const summary = get<Summary>('/api/summary', undefined, signal);
  const licenses = session.canAny('license.read');

  mount(
    ctx.root,
    h(
      'div',
      { class: 'grid' },
      licenses ? asyncCard('Compliance', async () => compliance(await summary), { class: 'span-2', testId: 'compliance' }) : null,
      asyncCard('Registration', async () => registration(await summary), { testId: 'registration' }),
      licenses
        ? asyncCard('In use against purchased', async () => usageChart(summedPools(await summary)), { class: 'span-3 chart-card', testId: 'chart' })
        : null,
      licenses ? asyncCard('Virtual accounts', async () => perVa(await summary), { class: 'span-3', testId: 'virtual-accounts' }) : null,
      licenses ? asyncCard('Usage over time', () => usageOverTime({}, signal), { class: 'span-3', testId: 'history' }) : null,
      session.canAny('sync.read') ? asyncCard('Sync', async () => sync((await summary).sync), { testId: 'sync' }) : null,
      licenses || session.canAny('sync.read')
        ? asyncCard('Open alerts', async () => alerts(ctx, (await summary).alerts), { class: 'span-2', testId: 'alerts' })
        : null,
      asyncCard('Devices and reports', async () => devices(await status, licenses ? await summary : null), { testId: 'devices' }),
      asyncCard('Account', async () => account(ctx, await get<Account>('/api/account', undefined, signal), await summary), { testId: 'account' }),
    ),
  );
}

/**
 * The reader's pools summed per entitlement over the VAs of the summary (each VA's own pool, so
 * the sum over all of them is the account's). Flags: `expiring` where a line of it ends within
 * 90 days, `expired` where an `expired` alert stands for it.
 */
export function summedPools(s: Summary): Pool[] {
  const sum = new Map<string, Pool>();
  for (const va of s.virtualAccounts) {
    for (const p of va.pools) {
      const t = sum.get(p.entitlement) ?? { virtualAccount: null, entitlement: p.entitlement, purchased: 0, reserved: 0, inUse: 0, available: 0, status: 'ok', flags: [] };
      t.purchased += p.purchased;
      t.reserved += p.reserved;
      t.inUse += p.inUse;
      t.available += p.available;
      if (t.available < 0) t.status = 'insufficient';
      sum.set(p.entitlement, t);
    }
  }
  const flag = (entitlement: string, f: Pool['flags'][number]) => {
    const t = sum.get(entitlement);
    if (t && !t.flags.includes(f)) t.flags.push(f);
  };
  for (const va of s.virtualAccounts) for (const l of va.endingWithin90Days) flag(l.entitlement, 'expiring');
  for (const a of s.alerts) if (a.type === 'expired' && a.entitlement) flag(a.entitlement, 'expired');
  return [...sum.values()].map((t) => ({ ...t, status: t.available < 0 ? 'insufficient' : 'ok' }));
}

function compliance(s: Summary): Child {
  const entitlements = new Set(s.virtualAccounts.flatMap((va) => va.pools.map((p) => p.entitlement)));
  // A shortage is a VA's (SPEC §6): another VA's spare licenses do not cover it.
  const short = s.virtualAccounts.flatMap((va) => va.pools.filter((p) => p.status === 'insufficient').map((p) => ({ va, p })));
  const shortEntitlements = new Set(short.map(({ p }) => p.entitlement));
  const ending = s.virtualAccounts.flatMap((va) => va.endingWithin90Days.map((l) => ({ va, l })));
  const expired = [...new Set(s.alerts.filter((a) => a.type === 'expired' && a.entitlement).map((a) => a.entitlement!))];
  if (entitlements.size === 0) return emptyState('No entitlements yet. They arrive with the registration and each sync with the cloud.');
  return h(
    'div',
    { class: `compliance ${short.length ? 'bad' : 'ok'}` },
    h(
      'p',
      { class: 'big' },
      short.length ? `${shortEntitlements.size} of ${entitlements.size} entitlements short of licenses` : `Compliant: all ${entitlements.size} entitlements covered`,
    ),
    short.length
      ? h('ul', null, ...short.map(({ va, p }) => h('li', null, `${va.path} · ${p.entitlement}: ${num(p.inUse + p.reserved)} used of ${num(p.purchased)} (${num(-p.available)} over)`)))
      : null,
    ending.length
      ? h(
          'div',
          { 'data-testid': 'ending' },
          h('p', null, badge('expiring', 'warn'), ` ${plural(ending.length, 'line ends', 'lines end')} within 90 days:`),
          h('ul', null, ...ending.map(({ va, l }) => h('li', null, `${l.entitlement}: ${num(l.quantity)} in ${va.path} end on ${day(l.endsAt)} (line ${l.lineId}, ${l.sku})`))),
        )
      : null,
    expired.length ? h('p', null, badge('expired', 'bad'), ` ${expired.join(', ')}: in use with no active license.`) : null,
    h('p', null, h('a', { href: '#/licenses' }, 'See licenses per virtual account')),
  );
}

/** One row per VA of the reader's: its pools, shortages, lines ending and silent devices. */
function perVa(s: Summary): Child {
  return table({
    caption: 'Your virtual accounts at a glance',
    empty: 'No virtual account is in your scope.',
    rows: s.virtualAccounts,
    rowKey: (va) => va.id,
    columns: [
      { label: 'Virtual account', cell: (va) => h('span', { 'data-va': va.path }, va.path) },
      { label: 'Entitlements', cell: (va) => num(va.pools.length) },
      {
        label: 'Short',
        cell: (va) => {
          const short = va.pools.filter((p) => p.status === 'insufficient');
          // One badge each, so a narrow screen wraps between them.
          return short.length ? h('span', null, ...short.flatMap((p) => [badge(`${p.entitlement} ${num(p.available)}`, 'bad'), ' '])) : '—';
        },
      },
      { label: 'Ending within 90 days', cell: (va) => (va.endingWithin90Days.length ? plural(va.endingWithin90Days.length, 'line') : '—') },
      { label: 'Silent 30 days or more', cell: (va) => (va.silentDevices ? plural(va.silentDevices, 'device') : '—') },
    ],
  });
}

const REGISTRATION_BADGE = { registered: 'ok', unregistered: 'muted', lapsed: 'bad' } as const;

function registration(st: Summary): Child {
  const d = st.daysUntilLapse;
  const reg = st.registration as keyof typeof REGISTRATION_BADGE;
  return facts([
    ['State', badge(reg, REGISTRATION_BADGE[reg] ?? 'muted')],
    ['Satellite', st.satellite.name],
    ['Last cloud contact', st.lastCloudContact ? h('span', { title: when(st.lastCloudContact) }, `${relative(st.lastCloudContact)} (${when(st.lastCloudContact)})`) : 'never'],
    ['Days until lapse', d === null ? 'not registered' : h('span', { class: d <= 7 ? 'text-bad' : d <= 90 ? 'text-warn' : '' }, String(d))],
  ]);
}

function sync(s: SyncStatus): Child {
  return h(
    'div',
    null,
    facts([
      ['Mode', s.mode === 'network' ? 'network (HTTPS to the cloud)' : 'air-gapped (bundle files)'],
      ['Last success', s.lastSuccess ? `${relative(s.lastSuccess)} (${when(s.lastSuccess)})` : 'never'],
      ['Last attempt', when(s.lastAttempt)],
      ['Next run', s.nextRun ? `${when(s.nextRun)} (${relative(s.nextRun)})` : 'not scheduled'],
      ['Satellite reports', reportSequences(s.sequence)],
    ]),
    s.lastError ? h('p', { class: 'text-bad' }, `Last error: ${exchangeErrorText(s.lastError)}`) : null,
    h('p', null, h('a', { href: '#/sync' }, 'Go to sync')),
  );
}

const SEVERITY = { info: 'info', warning: 'warn', critical: 'bad' } as const;

/**
 * On a clock-suspect alert, sa-admin's two answers (POST /api/time/confirm): the clock was right
 * (the alert clears, what the time rules did stays), or it was wrong and is right now (undo: the
 * devices the lapse or the silent-device rule deregistered while the alert stood come back).
 */
function clockActions(ctx: PageContext): Child {
  if (!ctx.session.canAccount('clock.confirm')) return null;
  const ask = (undo: boolean) =>
    void confirmAction({
      title: undo ? 'Undo what the wrong clock did?' : 'Confirm the clock?',
      text: undo
        ? 'Set the system clock right first. The devices the lapse or the silent-device rule deregistered while this alert stood are registered again, and a lapse in that time is undone.'
        : 'The clock is right as it is now: the alert clears, and what the time rules did stays.',
      confirm: undo ? 'Undo and confirm' : 'Confirm the clock',
      danger: false,
      action: async () => {
        const r = await post<{ reinstated: number; registrationRestored: boolean }>('/api/time/confirm', { undo });
        toast(undo ? `Clock confirmed; ${r.reinstated} device(s) reinstated${r.registrationRestored ? ', the lapse undone' : ''}.` : 'Clock confirmed.');
        ctx.refreshStatus();
        ctx.navigate('overview');
      },
    });
  return h(
    'span',
    { class: 'actions', 'data-clock-actions': 'true' },
    h('button', { type: 'button', 'data-write': 'true', onclick: () => ask(false) }, 'The clock is right'),
    ' ',
    h('button', { type: 'button', 'data-write': 'true', onclick: () => ask(true) }, 'Undo what it did'),
  );
}

function alerts(ctx: PageContext, items: Alert[]): Child {
  const order = { critical: 0, warning: 1, info: 2 } as const;
  const sorted = [...items].sort((a, b) => order[a.severity] - order[b.severity] || a.since.localeCompare(b.since));
  return table({
    caption: 'Alerts that stand now',
    empty: 'No open alerts.',
    rows: sorted,
    columns: [
      { label: 'Severity', cell: (a) => badge(a.severity, SEVERITY[a.severity]) },
      {
        label: 'Alert',
        cell: (a) => h('span', { 'data-alert-type': a.type }, h('strong', null, alertWords(a.type)), ' ', a.message, a.type === 'clock-suspect' ? [' ', clockActions(ctx)] : null),
      },
      { label: 'Where', cell: (a) => [vaText(a.virtualAccount), a.entitlement ? ` · ${a.entitlement}` : ''] },
      { label: 'Since', cell: (a) => h('span', { title: when(a.since) }, relative(a.since)) },
    ],
  });
}

function devices(st: Status, s: Summary | null): Child {
  const silent = s?.virtualAccounts.reduce((n, va) => n + va.silentDevices, 0);
  return h(
    'div',
    null,
    facts([
      ['Registered devices', num(st.devices.registered)],
      ['Deregistered', num(st.devices.deregistered)],
      ...(silent === undefined ? [] : [['Silent for 30 days or more', num(silent)] as [string, Child]]),
      ['Reports kept', num(st.reports.total)],
      ['Not yet acknowledged by the cloud', num(st.reports.unacknowledged)],
    ]),
    h('p', null, h('a', { href: '#/devices' }, 'See devices')),
  );
}

function account(ctx: PageContext, a: Account, st: Summary): Child {
  const rows: Array<[string, Child]> = [
    ['Name', a.name],
    ['Domain', a.domain ?? '—'],
    ['Type', a.type],
  ];
  const canEdit = ctx.session.canAccount('account.write');
  const edit = canEdit ? h('button', { type: 'button', 'data-write': 'true' }, 'Edit account') : null;
  edit?.addEventListener('click', () => {
    const name = input({ name: 'name', required: true, maxlength: 128, value: a.name });
    const domain = input({ name: 'domain', maxlength: 255, value: a.domain ?? '' });
    // The type is the cloud's once registered (SPEC §4).
    const typeSel = select(
      ['customer', 'partner-holding', 'limited-use'].map((t) => ({ value: t, label: t })),
      { name: 'type', disabled: st.registration !== 'unregistered' },
      a.type,
    );
    const dlg = openDialog('Edit account', [
      form({
        label: 'Edit account',
        submit: 'Save',
        fields: [
          field('Name', name),
          field('Domain', domain),
          field('Type', typeSel, st.registration === 'unregistered' ? 'Can be set only before registration.' : 'Set by the cloud since registration.'),
        ],
        onSubmit: async () => {
          const body: Record<string, unknown> = { name: name.value.trim(), domain: domain.value.trim() || null };
          if (st.registration === 'unregistered' && typeSel.value !== a.type) body.type = typeSel.value;
          await patch('/api/account', body);
          dlg.close();
          toast('The account was saved.');
          ctx.navigate('overview');
        },
      }),
    ]);
  });
  return h('div', null, facts(rows), edit);
}
