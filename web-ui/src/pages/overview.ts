// The overview: compliance at a glance, registration and lapse, sync, alerts, devices, and the
// chart of licenses in use against purchased.
import { all, get, patch, post } from '../api.ts';
import { asyncCard, facts } from '../components/card.ts';
import { usageChart } from '../components/chart.ts';
import { usageOverTime } from '../components/history-chart.ts';
import { confirmAction, openDialog } from '../components/dialog.ts';
import { field, form, input, select } from '../components/form.ts';
import { emptyState, toast } from '../components/notice.ts';
import { badge, table } from '../components/table.ts';
import { loadAccountPools } from '../data.ts';
import { h, mount, type Child } from '../dom.ts';
import { alertWords, exchangeErrorText, num, relative, reportSequences, vaText, when } from '../format.ts';
import type { PageContext } from '../page.ts';
import type { Account, Alert, Pool, Status, SyncStatus } from '../types.ts';

export async function renderOverview(ctx: PageContext): Promise<void> {
  const { session, signal } = ctx;
  const status = get<Status>('/api/status', undefined, signal);
  const pools = session.canAny('license.read') ? loadAccountPools(session, signal) : null;

  mount(
    ctx.root,
    h(
      'div',
      { class: 'grid' },
      pools ? asyncCard('Compliance', async () => compliance(await pools), { class: 'span-2', testId: 'compliance' }) : null,
      asyncCard('Registration', async () => registration(await status), { testId: 'registration' }),
      pools
        ? asyncCard('In use against purchased', async () => usageChart(await pools), { class: 'span-3 chart-card', testId: 'chart' })
        : null,
      pools ? asyncCard('Usage over time', () => usageOverTime({}, signal), { class: 'span-3', testId: 'history' }) : null,
      session.canAny('sync.read') ? asyncCard('Sync', async () => sync(await get<SyncStatus>('/api/sync', undefined, signal)), { testId: 'sync' }) : null,
      session.canAny('license.read') || session.canAny('sync.read')
        ? asyncCard('Open alerts', async () => alerts(ctx, await all<Alert>('/api/alerts', {}, signal)), { class: 'span-2', testId: 'alerts' })
        : null,
      asyncCard('Devices and reports', async () => devices(await status), { testId: 'devices' }),
      asyncCard('Account', async () => account(ctx, await get<Account>('/api/account', undefined, signal), await status), { testId: 'account' }),
    ),
  );
}

function compliance(pools: Pool[]): Child {
  const short = pools.filter((p) => p.status === 'insufficient');
  const expiring = pools.filter((p) => p.flags.includes('expiring'));
  const expired = pools.filter((p) => p.flags.includes('expired'));
  if (pools.length === 0) return emptyState('No entitlements yet. They arrive with the registration and each sync with the cloud.');
  return h(
    'div',
    { class: `compliance ${short.length ? 'bad' : 'ok'}` },
    h('p', { class: 'big' }, short.length ? `${short.length} of ${pools.length} entitlements short of licenses` : `Compliant: all ${pools.length} entitlements covered`),
    short.length
      ? h('ul', null, ...short.map((p) => h('li', null, `${p.entitlement}: ${num(p.inUse + p.reserved)} used of ${num(p.purchased)} (${num(-p.available)} over)`)))
      : null,
    expiring.length ? h('p', null, badge('expiring', 'warn'), ` ${expiring.map((p) => p.entitlement).join(', ')}: a license ends within 90 days.`) : null,
    expired.length ? h('p', null, badge('expired', 'bad'), ` ${expired.map((p) => p.entitlement).join(', ')}: in use with no active license.`) : null,
    h('p', null, h('a', { href: '#/licenses' }, 'See licenses per virtual account')),
  );
}

const REGISTRATION_BADGE = { registered: 'ok', unregistered: 'muted', lapsed: 'bad' } as const;

function registration(st: Status): Child {
  const d = st.daysUntilLapse;
  return facts([
    ['State', badge(st.registration, REGISTRATION_BADGE[st.registration])],
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

function devices(st: Status): Child {
  return h(
    'div',
    null,
    facts([
      ['Registered devices', num(st.devices.registered)],
      ['Deregistered', num(st.devices.deregistered)],
      ['Reports kept', num(st.reports.total)],
      ['Not yet acknowledged by the cloud', num(st.reports.unacknowledged)],
    ]),
    h('p', null, h('a', { href: '#/devices' }, 'See devices')),
  );
}

function account(ctx: PageContext, a: Account, st: Status): Child {
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
