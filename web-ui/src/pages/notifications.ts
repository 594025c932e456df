// Notifications (SPEC §10): everyone sets their own address and what they receive; sa-admins
// also see the outbox's deliveries and can send a test on each channel.
import { get, patch, post } from '../api.ts';
import { card } from '../components/card.ts';
import { field, form, input, select } from '../components/form.ts';
import { toast } from '../components/notice.ts';
import { pagedList } from '../components/paged-list.ts';
import { badge, table } from '../components/table.ts';
import { h, mount } from '../dom.ts';
import { relative, when } from '../format.ts';
import type { PageContext } from '../page.ts';
import type { Page } from '../types.ts';

export interface MyNotifications {
  email: string | null;
  notifications: { alerts: 'off' | 'critical' | 'warning' | 'info'; summary: boolean };
}

interface Delivery {
  id: string;
  channel: 'email' | 'syslog' | 'webhook';
  target: string | null;
  kind: string;
  eventType: string | null;
  state: 'pending' | 'delivered' | 'failed';
  attempts: number;
  queuedAt: string;
  nextAttemptAt: string | null;
  lastError: string | null;
}

const STATE_KIND = { pending: 'warn', delivered: 'ok', failed: 'bad' } as const;

/**
 * The fields of a user's notification settings (SPEC §10) and a reader of the PATCH body they
 * make; the Notifications page shows them for oneself, the Users page for a user one manages.
 */
export function notifyFields(initial: MyNotifications, whose: 'own' | { username: string }) {
  const email = input({ type: 'email', name: 'email', value: initial.email ?? '', autocomplete: whose === 'own' ? 'email' : 'off', maxlength: '254', placeholder: whose === 'own' ? 'you@example.com' : 'name@example.com' });
  const alerts = select(
    [
      { value: 'off', label: 'No alert emails' },
      { value: 'critical', label: 'Critical alerts' },
      { value: 'warning', label: 'Warning and critical alerts' },
      { value: 'info', label: 'Every alert' },
    ],
    { name: 'alerts' },
    initial.notifications.alerts,
  );
  const summary = input({ type: 'checkbox', name: 'summary' });
  summary.checked = initial.notifications.summary;
  const scope = whose === 'own' ? 'your roles let you see' : `the roles of ${whose.username} let them see`;
  return {
    fields: [
      field('Email address', email, `One address. Alerts and the summary cover only the virtual accounts ${scope}.`),
      field('Alert emails', alerts, 'Sent when an alert is raised or becomes more severe.'),
      field('Summary email', h('label', null, summary, whose === 'own' ? ' Send me the summary (pools, shortages, lines ending, silent devices)' : ' Send the summary (pools, shortages, lines ending, silent devices)')),
    ],
    body: (): MyNotifications => ({
      email: email.value.trim() === '' ? null : email.value.trim(),
      notifications: { alerts: alerts.value as MyNotifications['notifications']['alerts'], summary: summary.checked },
    }),
  };
}

export async function renderNotifications(ctx: PageContext): Promise<void> {
  const { session, signal } = ctx;
  const me = await get<MyNotifications>('/api/me', undefined, signal);
  const own = notifyFields(me, 'own');
  const mine = form({
    label: 'My notifications',
    submit: 'Save',
    write: false,
    fields: own.fields,
    onSubmit: async () => {
      await patch('/api/me', own.body());
      toast('Saved your notification settings.');
    },
  });
  mount(ctx.root, card('My notifications', mine));
  if (!session.canAccount('notify.manage')) return;

  const tests = h(
    'div',
    { class: 'actions' },
    ...(['email', 'syslog', 'webhook'] as const).map((channel) =>
      h(
        'button',
        {
          type: 'button',
          'data-write': 'true',
          onclick: () =>
            void post<{ items: Delivery[] }>('/api/notifications/test', { channel }).then(
              (r) => {
                toast(`Queued ${r.items.length} test ${channel} notification${r.items.length === 1 ? '' : 's'}.`);
                deliveries.reload();
              },
              (err: Error) => toast(err.message, 'error'),
            ),
        },
        `Send a test ${channel}`,
      ),
    ),
  );
  const list = h('div');
  ctx.root.append(card('Test', h('p', { class: 'muted' }, 'A test goes through the outbox like any notification; its outcome shows below.'), tests), card('Deliveries', list));
  const deliveries = pagedList<Delivery>(list, {
    what: 'deliveries',
    fetch: (cursor) => get<Page<Delivery>>('/api/notifications/deliveries', { limit: 50, cursor }, signal),
    render: (items) =>
      table<Delivery>({
        caption: 'Notification deliveries, newest first',
        empty: 'Nothing sent yet.',
        rows: items,
        rowKey: (d) => d.id,
        columns: [
          { label: 'Queued', cell: (d) => h('span', { title: when(d.queuedAt) }, relative(d.queuedAt)) },
          { label: 'Channel', cell: (d) => (d.target ? `${d.channel} ${d.target}` : d.channel) },
          { label: 'What', cell: (d) => d.eventType ?? d.kind },
          { label: 'State', cell: (d) => badge(d.state, STATE_KIND[d.state]) },
          { label: 'Attempts', cell: (d) => String(d.attempts), class: 'num' },
          { label: 'Last error', cell: (d) => d.lastError ?? (d.nextAttemptAt ? `next try ${relative(d.nextAttemptAt)}` : '') },
          { label: 'Delivery id', cell: (d) => h('code', null, d.id) },
        ],
      }),
  });
  await deliveries.reload();
}
