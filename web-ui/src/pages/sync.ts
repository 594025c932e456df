// The exchange with the cloud: status, sync now, export download, import upload (a refusal said
// in plain words), and registration over the network or by an offline request file.
import { all, del, download, get, post, upload } from '../api.ts';
import { card, facts } from '../components/card.ts';
import { busy, field, form, input } from '../components/form.ts';
import { errorBox, notice, toast } from '../components/notice.ts';
import { progress } from '../components/progress.ts';
import { pagedList } from '../components/paged-list.ts';
import { badge, table } from '../components/table.ts';
import { confirmAction } from '../components/dialog.ts';
import { h, mount, type Child } from '../dom.ts';
import { bytes, exchangeErrorText, plural, relative, reportSequences, when } from '../format.ts';
import { InputError } from '../messages.ts';
import type { PageContext } from '../page.ts';
import type { ExchangeEntry, ImportResult, Page, SyncResult, SyncStatus } from '../types.ts';

export async function renderSync(ctx: PageContext): Promise<void> {
  const { session, signal } = ctx;
  const status = await get<SyncStatus>('/api/sync', undefined, signal);
  const canRun = session.canAccount('sync.run');
  const statusBody = h('div', null, statusFacts(status));
  // After an exchange the status is read again in place: results already shown stay on screen.
  const reload = () => {
    ctx.refreshStatus();
    void get<SyncStatus>('/api/sync', undefined, signal).then(
      (s) => mount(statusBody, statusFacts(s)),
      () => {},
    );
  };
  const historyEl = h('div', { class: 'results' });
  const history = pagedList<ExchangeEntry>(historyEl, {
    what: 'exchanges',
    fetch: (cursor) => get<Page<ExchangeEntry>>('/api/sync/history', { limit: 20, cursor }, signal),
    render: historyTable,
  });
  // After an exchange the status and the history are read again in place: results already shown stay on screen.
  const reloadAll = () => {
    reload();
    history.reset();
    void history.reload();
  };
  // An unregistered satellite can do nothing else first: registration leads.
  const unregistered = status.registration !== 'registered';
  mount(
    ctx.root,
    h(
      'div',
      { class: 'grid' },
      canRun && unregistered ? registrationCard(status, reloadAll) : null,
      card('Status', statusBody),
      canRun && status.mode === 'network' && status.registration === 'registered' ? syncNowCard(reloadAll) : null,
      canRun ? exportCard(ctx, reloadAll) : null,
      canRun ? importCard(reloadAll) : null,
      canRun && !unregistered ? registrationCard(status, reloadAll) : null,
      quarantineCard(ctx, canRun),
      canRun ? null : card('What you can do here', h('p', null, 'Your role lets you read the sync status. Running a sync, exporting, importing and registering need a role with sync rights.')),
      h('section', { class: 'card span-3', 'aria-labelledby': 'card-history', 'data-testid': 'sync-history' }, h('h2', { id: 'card-history' }, 'Recent exchanges'), historyEl),
    ),
  );
  await history.reload();
}

const KIND_WORDS: Record<string, string> = {
  'satellite-report': 'satellite report',
  'cloud-response': 'cloud response',
  'registration-request': 'registration request',
  'registration-response': 'registration response',
  registration: 'registration',
  sync: 'sync (report out, response in)',
  bundle: 'bundle',
};

function historyTable(items: ExchangeEntry[]): HTMLElement {
  return table<ExchangeEntry>({
    caption: 'Newest first, over the network and by files carried by hand',
    empty: 'No exchange with the cloud yet.',
    rows: items,
    rowKey: (e) => String(e.n),
    columns: [
      { label: 'When', cell: (e) => h('span', { title: relative(e.at) }, when(e.at)), class: 'nowrap' },
      { label: 'Direction', cell: (e) => (e.direction === 'out' ? 'to the cloud' : e.direction === 'in' ? 'from the cloud' : 'both ways') },
      { label: 'How', cell: (e) => (e.path === 'network' ? 'network' : 'file (air-gapped)') },
      { label: 'Kind', cell: (e) => KIND_WORDS[e.kind] ?? e.kind },
      {
        label: 'Sequence',
        class: 'nowrap',
        cell: (e) => (e.sequence === null && e.received === null ? '—' : [e.sequence !== null ? `#${e.sequence}` : null, e.received !== null ? `${e.sequence !== null ? ' → ' : ''}answer #${e.received}` : null]),
      },
      {
        label: 'Records',
        class: 'num',
        cell: (e) => (e.records === null ? '—' : e.direction === 'in' ? `${plural(e.records, 'report')} acknowledged` : plural(e.records, 'record')),
      },
      {
        label: 'Result',
        cell: (e) =>
          e.result === 'ok'
            ? badge('done', 'ok')
            : e.result === 'already-applied'
              ? badge('applied before', 'muted')
              : [badge(e.result === 'refused' ? 'refused' : 'failed', 'bad'), ' ', h('code', { class: 'key-id' }, e.error?.code ?? ''), h('span', { class: 'hint block' }, e.error?.message ?? '')],
      },
    ],
  });
}

function statusFacts(s: SyncStatus): Child {
  return facts([
    ['Registration', badge(s.registration, s.registration === 'registered' ? 'ok' : s.registration === 'lapsed' ? 'bad' : 'muted')],
    ['Mode', s.mode === 'network' ? 'network: HTTPS to the license cloud' : 'air-gapped: bundle files carried by hand'],
    ['Last success', s.lastSuccess ? `${when(s.lastSuccess)} (${relative(s.lastSuccess)})` : 'never'],
    ['Last attempt', when(s.lastAttempt)],
    ['Next scheduled run', s.nextRun ? `${when(s.nextRun)} (${relative(s.nextRun)})` : 'none'],
    ['Last error', s.lastError ? h('span', { class: 'text-bad' }, exchangeErrorText(s.lastError)) : 'none'],
    ['Satellite reports', reportSequences(s.sequence)],
  ]);
}

function syncNowCard(done: () => void): HTMLElement {
  const btn = h('button', { type: 'button', class: 'primary', 'data-write': 'true' }, 'Sync now');
  const out = h('div', { role: 'status' });
  const errors = h('div');
  btn.addEventListener('click', () => {
    const bar = progress('Sending the satellite report and waiting for the cloud’s answer…');
    mount(out, bar.el);
    void busy(
      btn,
      errors,
      async () => {
        const r = await post<SyncResult>('/api/sync');
        mount(out, notice('success', `Sent report #${r.sent.sequence} (${plural(r.sent.records, 'record')}); received answer #${r.received.sequence}; ${plural(r.acknowledged, 'report')} acknowledged.`));
        toast('Sync finished.');
        done();
        return true;
      },
      'Syncing…',
    ).then((ok) => {
      if (ok === undefined) out.replaceChildren();
    });
  });
  return card('Sync now', h('p', null, 'Sends what the cloud has not acknowledged yet and applies its answer: entitlements, acknowledgements, revocations.'), btn, out, errors);
}

function exportCard(ctx: PageContext, done: () => void): HTMLElement {
  const btn = h('button', { type: 'button', 'data-write': 'true' }, 'Export satellite report');
  const out = h('div');
  const errors = h('div');
  btn.addEventListener('click', () => {
    const bar = progress('Writing the bundle…');
    mount(out, bar.el);
    void busy(
      btn,
      errors,
      async () => {
        const file = await download('POST', '/api/sync/export', { fallbackName: 'outpost-satellite-report.zip', onProgress: bar.update, signal: ctx.signal });
        bar.done(`Saved ${file.name} (${bytes(file.bytes)}). Carry it to the license cloud, then import the cloud’s answer here.`);
        done();
        return true;
      },
      'Exporting…',
    ).then((ok) => {
      if (ok === undefined) out.replaceChildren();
    });
  });
  return card(
    'Export (air-gapped)',
    h('p', null, 'Downloads the next satellite report: everything the cloud has not acknowledged yet. Exporting again is safe; a lost file costs nothing.'),
    btn,
    out,
    errors,
  );
}

function importCard(done: () => void): HTMLElement {
  const file = h('input', { type: 'file', name: 'bundle', accept: '.zip,application/zip', required: true });
  const out = h('div', { 'data-testid': 'import-result' });
  const f = form({
    label: 'Import a cloud bundle',
    submit: 'Import bundle',
    busyLabel: 'Importing…',
    fields: [field('Bundle from the cloud (.zip)', file, 'A cloud response or a registration response.')],
    onSubmit: async () => {
      const chosen = file.files?.[0];
      if (!chosen) throw new InputError('Choose the bundle file first.');
      const bar = progress(`Uploading ${chosen.name}…`);
      mount(out, bar.el);
      let r: ImportResult;
      try {
        r = await upload<ImportResult>('/api/sync/import', chosen, { type: 'application/zip', onProgress: bar.update });
      } catch (err) {
        mount(out, errorBox(err, 'The bundle was refused and nothing changed.'));
        done(); // the refusal is in the history now
        return;
      }
      mount(
        out,
        r.alreadyApplied
          ? notice('info', `This ${r.kind} (#${r.sequence}) was applied before; nothing changed.`)
          : notice(
              'success',
              h('strong', null, `Applied the ${r.kind} #${r.sequence}. `),
              `${plural(r.changes.acknowledged, 'report')} acknowledged, ${plural(r.changes.entitlements, 'entitlement line')} now held, ${plural(r.changes.revoked, 'device')} revoked.`,
            ),
      );
      toast('The bundle was imported.');
      file.value = '';
      done();
    },
  });
  return card('Import (air-gapped)', f, out);
}

function registrationCard(s: SyncStatus, done: () => void): HTMLElement {
  const token = input({ name: 'token', required: true, autocomplete: 'off', spellcheck: 'false' });
  const network = h('input', { type: 'radio', name: 'regmode', value: 'network', id: 'reg-network', checked: s.mode === 'network', disabled: s.mode !== 'network' });
  const offline = h('input', { type: 'radio', name: 'regmode', value: 'offline', id: 'reg-offline', checked: s.mode !== 'network' });
  const out = h('div');
  const f = form({
    label: 'Register the satellite',
    submit: s.registration === 'registered' ? 'Register again' : 'Register',
    busyLabel: 'Registering…',
    fields: [
      field('Satellite registration token (from the license cloud)', token),
      h(
        'fieldset',
        { class: 'radios' },
        h('legend', null, 'How'),
        h('div', null, network, h('label', { for: 'reg-network' }, 'Over the network now', s.mode !== 'network' ? ' (no cloud URL is configured)' : '')),
        h('div', null, offline, h('label', { for: 'reg-offline' }, 'Offline: download a request file to carry to the cloud')),
      ),
    ],
    onSubmit: async () => {
      if (offline.checked) {
        const bar = progress('Writing the registration request…');
        mount(out, bar.el);
        const file = await download('POST', '/api/registration', { body: { token: token.value.trim(), offline: true }, fallbackName: 'outpost-registration-request.zip', onProgress: bar.update });
        bar.done(`Saved ${file.name}. Take it to the license cloud and import the registration response it gives back.`);
      } else {
        const r = await post<{ registration: string; account: { name?: string } }>('/api/registration', { token: token.value.trim() });
        mount(out, notice('success', `Registered${r.account?.name ? ` as ${r.account.name}` : ''}.`));
        toast('The satellite is registered.');
        done();
      }
    },
  });
  return card(
    s.registration === 'registered' ? 'Registration' : 'Register this satellite',
    s.registration === 'lapsed' ? notice('critical', 'The registration has lapsed: register again to restore service. Devices then register again.') : null,
    s.registration === 'registered' ? h('p', { class: 'muted' }, 'The satellite is registered. Registering again is needed only after a lapse or when moving to another Smart Account.') : null,
    f,
    out,
  );
}

/** A report an export set aside (GET /api/quarantine). */
interface Quarantined {
  reportId: string;
  deviceId: string;
  virtualAccount: { id: string; path: string } | null;
  window: { start: string; end: string };
  receivedAt: string;
  reason: string;
  quarantinedAt: string;
}

/**
 * Reports an export set aside because the bundle refuses them (SPEC §7 `report-quarantined`):
 * what each was and why; those with sync rights remove one once they have looked at it.
 */
function quarantineCard(ctx: PageContext, canRemove: boolean): HTMLElement {
  const body = h('div', { 'data-quarantine': 'true' }, h('p', { class: 'muted' }, 'Loading…'));
  const load = async () => {
    const items = await all<Quarantined>('/api/quarantine', {}, ctx.signal);
    mount(
      body,
      h('p', { class: 'muted' }, 'An export leaves out a stored report the bundle format refuses, so one bad record never blocks the rest. Nothing is sent for these.'),
      table<Quarantined>({
        caption: 'Quarantined reports',
        empty: 'No report is quarantined.',
        rows: items,
        rowKey: (q) => q.reportId,
        columns: [
          { label: 'Report', cell: (q) => h('code', null, q.reportId) },
          { label: 'Device', cell: (q) => h('a', { href: `#/devices?q=${encodeURIComponent(q.deviceId)}` }, q.deviceId) },
          { label: 'Virtual account', cell: (q) => q.virtualAccount?.path ?? '—' },
          { label: 'Window', cell: (q) => `${q.window.start} – ${q.window.end}` },
          { label: 'Why', cell: (q) => q.reason },
          { label: 'Set aside', cell: (q) => when(q.quarantinedAt) },
          ...(canRemove
            ? [
                {
                  label: 'Action',
                  cell: (q: Quarantined) =>
                    h(
                      'button',
                      {
                        type: 'button',
                        class: 'danger',
                        'data-write': 'true',
                        onclick: () =>
                          void confirmAction({
                            title: 'Remove the quarantined report?',
                            text: `Report ${q.reportId} is removed for good; nothing is sent for it.`,
                            confirm: 'Remove',
                            danger: true,
                            action: async () => {
                              await del(`/api/quarantine/${encodeURIComponent(q.reportId)}`);
                              toast(`Removed report ${q.reportId}.`);
                              ctx.refreshStatus();
                              await load();
                            },
                          }),
                      },
                      'Remove',
                    ),
                },
              ]
            : []),
        ],
      }),
    );
  };
  void load().catch((err: unknown) => mount(body, errorBox(err, 'The quarantined reports could not be loaded.')));
  return card('Quarantined reports', body);
}
