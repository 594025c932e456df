// Specific License Reservation (SPEC §8): a device's request code → licenses picked from a VA's
// pool → the authorization code to enter on the device; and the return code that frees them.
import { all, get, post } from '../api.ts';
import { card } from '../components/card.ts';
import { codeBox } from '../components/copy.ts';
import { field, form } from '../components/form.ts';
import { errorBox, loading, notice, toast } from '../components/notice.ts';
import { pagedList } from '../components/paged-list.ts';
import { badge, table } from '../components/table.ts';
import { vaSelect } from '../components/va-select.ts';
import { loadVas } from '../data.ts';
import { h, mount } from '../dom.ts';
import { num, vaText, when } from '../format.ts';
import { InputError } from '../messages.ts';
import type { PageContext } from '../page.ts';
import type { LicenseCount, Page, Pool, Reservation, VirtualAccount } from '../types.ts';

export interface RequestCode {
  udi: { pid: string; sn: string };
  nonce: string;
}

/** Reads a request code (base64url of `{"udi","nonce","jwk"}`) to show whose it is; the API checks it for real. */
export function decodeRequestCode(code: string): RequestCode {
  const s = code.trim();
  if (!/^[A-Za-z0-9_-]+$/.test(s)) throw new InputError('The request code should be one line of letters, digits, "-" and "_" as the device shows it.');
  let parsed: unknown;
  try {
    const b64 = s.replace(/-/g, '+').replace(/_/g, '/');
    const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
    parsed = JSON.parse(new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0))));
  } catch {
    throw new InputError('This is not a request code: it does not decode. Copy it again from the device.');
  }
  const p = parsed as Partial<RequestCode> & { jwk?: unknown };
  if (!p?.udi || typeof p.udi.pid !== 'string' || typeof p.udi.sn !== 'string' || typeof p.nonce !== 'string' || typeof p.jwk !== 'object') {
    throw new InputError('This request code lacks the device’s identity (udi), nonce or key.');
  }
  return { udi: p.udi, nonce: p.nonce };
}

export async function renderReservations(ctx: PageContext): Promise<void> {
  const { session, signal } = ctx;
  const canWrite = session.canAny('license.write');
  const vas = canWrite ? (await loadVas(signal)).filter((v) => session.canIn('license.write', v)) : [];
  const list = h('div');
  const reservations = pagedList<Reservation>(list, {
    what: 'reservations',
    fetch: (cursor) => get<Page<Reservation>>('/api/reservations', { limit: 50, cursor }, signal),
    render: (items) =>
      table<Reservation>({
        caption: 'Specific license reservations',
        empty: 'No reservations. A device in a closed network shows a request code; enter it above.',
        rows: items,
        rowKey: (r) => r.reservationId,
        columns: [
          { label: 'Device (PID / serial)', cell: (r) => [r.udi.pid, ' / ', h('code', null, r.udi.sn)] },
          { label: 'Virtual account', cell: (r) => vaText(r.virtualAccount) },
          { label: 'Licenses', cell: (r) => r.licenses.map((l) => `${l.count} × ${l.entitlement}`).join(', ') },
          { label: 'State', cell: (r) => badge(r.state, r.state === 'reserved' ? 'info' : 'muted') },
          { label: 'Since', cell: (r) => when(r.at) },
        ],
      }),
  });
  const reload = () => void reservations.reload();
  mount(ctx.root, canWrite ? h('div', { class: 'grid' }, reserveCard(vas, reload), returnCard(reload)) : null, card('Reservations', list));
  await reservations.reload();
}

function reserveCard(vas: VirtualAccount[], done: () => void): HTMLElement {
  const code = h('textarea', { name: 'requestCode', rows: 3, required: true, spellcheck: 'false', class: 'code' });
  const who = h('div', { role: 'status' });
  const va = vaSelect(vas, { name: 'virtualAccount', required: true, selected: 'Default' });
  const picks = h('fieldset', { class: 'license-picks' }, h('legend', null, 'Licenses to reserve'), h('p', { class: 'hint' }, 'Choose the virtual account to see what it holds.'));
  const out = h('div');
  let inputs: Array<{ entitlement: string; el: HTMLInputElement }> = [];

  const showWho = () => {
    if (!code.value.trim()) return who.replaceChildren();
    try {
      const r = decodeRequestCode(code.value);
      mount(who, notice('info', `For the device ${r.udi.pid} / ${r.udi.sn}.`));
    } catch (err) {
      mount(who, errorBox(err));
    }
  };
  code.addEventListener('change', showWho);
  code.addEventListener('input', showWho);

  const loadPools = async () => {
    mount(picks, h('legend', null, 'Licenses to reserve'), loading('Reading the pool…'));
    try {
      const pools = (await all<Pool>('/api/licenses', { va: va.value })).filter((p) => p.purchased > 0);
      inputs = pools.map((p) => ({
        entitlement: p.entitlement,
        el: h('input', { type: 'number', min: 0, max: Math.max(0, p.available), step: 1, value: 0, name: `count-${p.entitlement}`, inputmode: 'numeric' }),
      }));
      mount(
        picks,
        h('legend', null, 'Licenses to reserve'),
        inputs.length
          ? inputs.map((i) => {
              const p = pools.find((x) => x.entitlement === i.entitlement)!;
              return field(`${i.entitlement} (${num(Math.max(0, p.available))} available)`, i.el);
            })
          : h('p', { class: 'empty' }, 'This virtual account holds no licenses.'),
      );
    } catch (err) {
      mount(picks, h('legend', null, 'Licenses to reserve'), errorBox(err));
    }
  };
  va.addEventListener('change', () => void loadPools());
  void loadPools();

  return card(
    'Reserve licenses for a device',
    form({
      label: 'Reserve licenses',
      submit: 'Reserve and show the authorization code',
      busyLabel: 'Reserving…',
      fields: [field('Request code from the device', code), who, field('From virtual account', va), picks],
      onSubmit: async () => {
        decodeRequestCode(code.value);
        const licenses: LicenseCount[] = inputs.map((i) => ({ entitlement: i.entitlement, count: Number(i.el.value) })).filter((l) => l.count > 0);
        if (licenses.length === 0) throw new InputError('Choose at least one license to reserve.');
        const r = await post<{ reservationId: string; authorizationCode: string }>('/api/reservations', { requestCode: code.value.trim(), virtualAccount: va.value, licenses });
        mount(
          out,
          notice('success', 'Reserved. Enter this authorization code on the device; the licenses stay out of the pool until its return code is entered here.'),
          codeBox('Authorization code', r.authorizationCode, { rows: 4, testId: 'authorization-code' }),
        );
        toast('The licenses were reserved.');
        code.value = '';
        who.replaceChildren();
        done();
        void loadPools();
      },
    }),
    out,
  );
}

function returnCard(done: () => void): HTMLElement {
  const code = h('textarea', { name: 'returnCode', rows: 3, required: true, spellcheck: 'false', class: 'code' });
  const out = h('div');
  return card(
    'Return a reservation',
    form({
      label: 'Return a reservation',
      submit: 'Return',
      busyLabel: 'Returning…',
      fields: [field('Return code from the device', code, 'The device shows it once it has dropped the reservation.')],
      onSubmit: async () => {
        await post('/api/reservations/return', { returnCode: code.value.trim() });
        mount(out, notice('success', 'The reservation was returned; its licenses are back in the pool.'));
        code.value = '';
        done();
      },
    }),
    out,
  );
}
