// Registration tokens: create (the secret is shown once, with a copy button), list, revoke.
import { del, get, post } from '../api.ts';
import { card } from '../components/card.ts';
import { codeBox } from '../components/copy.ts';
import { confirmAction, openDialog } from '../components/dialog.ts';
import { field, form, input } from '../components/form.ts';
import { notice, toast } from '../components/notice.ts';
import { pagedList } from '../components/paged-list.ts';
import { badge, table } from '../components/table.ts';
import { vaSelect } from '../components/va-select.ts';
import { loadVas } from '../data.ts';
import { h, mount } from '../dom.ts';
import { relative, when } from '../format.ts';
import type { PageContext } from '../page.ts';
import type { Page, Status, Token, VirtualAccount } from '../types.ts';
import { connectDevicesCard } from './connect-devices.ts';

export function tokenState(t: Token, now = Date.now()): { label: string; kind: 'ok' | 'bad' | 'muted' | 'warn' } {
  if (t.revoked) return { label: 'revoked', kind: 'bad' };
  if (Date.parse(t.expiresAt) <= now) return { label: 'expired', kind: 'muted' };
  if (t.maxUses !== null && t.uses >= t.maxUses) return { label: 'used up', kind: 'muted' };
  return { label: 'active', kind: 'ok' };
}

export async function renderTokens(ctx: PageContext): Promise<void> {
  const { session, signal } = ctx;
  const list = h('div', { class: 'token-list' });
  const createSlot = h('div');
  const connectSlot = h('div');
  mount(ctx.root, createSlot, card('Tokens', list), connectSlot);

  const tokens = pagedList<Token>(list, {
    what: 'tokens',
    fetch: (cursor) => get<Page<Token>>('/api/tokens', { limit: 50, cursor }, signal),
    render: (items) =>
      table<Token>({
        caption: 'Registration tokens',
        empty: 'No tokens yet. Create one to let devices register into a virtual account.',
        rows: items,
        rowKey: (t) => t.id,
        columns: [
          { label: 'Description', cell: (t) => t.description || h('span', { class: 'muted' }, '(none)') },
          { label: 'Virtual account', cell: (t) => t.virtualAccount.path },
          { label: 'Created', cell: (t) => h('span', { title: when(t.createdAt) }, relative(t.createdAt)) },
          { label: 'Expires', cell: (t) => h('span', { title: when(t.expiresAt) }, when(t.expiresAt)) },
          { label: 'Uses', cell: (t) => (t.maxUses === null ? `${t.uses} (no limit)` : `${t.uses} of ${t.maxUses}`), class: 'num' },
          { label: 'State', cell: (t) => badge(tokenState(t).label, tokenState(t).kind) },
          {
            label: 'Actions',
            cell: (t) =>
              !t.revoked && session.canIn('license.write', t.virtualAccount)
                ? h(
                    'button',
                    {
                      type: 'button',
                      class: 'small danger',
                      'data-write': 'true',
                      'aria-label': `Revoke the token ${t.description || t.id}`,
                      onclick: () =>
                        void confirmAction({
                          title: 'Revoke this token?',
                          text: `Devices can no longer register with “${t.description || t.id}”. Devices already registered stay.`,
                          confirm: 'Revoke',
                          danger: true,
                          action: async () => {
                            await del(`/api/tokens/${encodeURIComponent(t.id)}`);
                            toast('The token was revoked.');
                            void tokens.reload();
                          },
                        }),
                    },
                    'Revoke',
                  )
                : null,
          },
        ],
      }),
  });

  if (session.canAny('license.write')) {
    let vas: VirtualAccount[] | null = null;
    try {
      vas = (await loadVas(signal)).filter((v) => session.canIn('license.write', v));
    } catch {
      vas = null; // the form falls back to a typed path
    }
    mount(createSlot, createCard(vas, () => void tokens.reload()));
  }
  await tokens.reload();
  // The device listener's address needs account.read; without it the card names the default port.
  const listener = session.canAny('account.read')
    ? await get<Status>('/api/status', undefined, signal).then((s) => s.listeners.device, () => null)
    : null;
  mount(connectSlot, connectDevicesCard(listener, location.hostname));
}

function createCard(vas: VirtualAccount[] | null, created: () => void): HTMLElement {
  const va = vas ? vaSelect(vas, { name: 'virtualAccountId', required: true, selected: 'Default' }) : input({ name: 'virtualAccountId', required: true, value: 'Default' });
  const description = input({ name: 'description', maxlength: 256, placeholder: 'e.g. lab switches, spring rollout' });
  const validDays = input({ name: 'validDays', type: 'number', min: 1, max: 365, step: 1, value: 30, required: true, inputmode: 'numeric' });
  const maxUses = input({ name: 'maxUses', type: 'number', min: 1, max: 1000000, step: 1, inputmode: 'numeric' });
  const f = form({
    label: 'Create a registration token',
    submit: 'Create token',
    busyLabel: 'Creating…',
    fields: [
      h(
        'div',
        { class: 'row' },
        field('Virtual account', va, vas ? 'Devices registering with it land here.' : 'The path (e.g. Default/Eng) or id of the virtual account.'),
        field('Description', description),
        field('Valid for (days)', validDays, '1 to 365.'),
        field('Maximum uses', maxUses, 'Empty: no limit.'),
      ),
    ],
    onSubmit: async () => {
      const body: Record<string, unknown> = {
        virtualAccountId: va.value.trim(),
        description: description.value.trim(),
        validDays: Number(validDays.value),
      };
      if (maxUses.value) body.maxUses = Number(maxUses.value);
      const token = await post<Token & { token: string }>('/api/tokens', body);
      f.reset();
      showSecret(token);
      created();
    },
  });
  return card('Create a registration token', f);
}

/** The secret, once: it is never stored and no later read returns it. */
function showSecret(token: Token & { token: string }): void {
  const done = h('button', { type: 'button', class: 'primary' }, 'I have copied it');
  const dlg = openDialog('Your new registration token', [
    notice('warning', h('strong', null, 'Copy the token now. '), 'It is shown only this once; the satellite keeps only its hash.'),
    codeBox('Token secret', token.token, { rows: 2, testId: 'token-secret' }),
    h('p', null, `For ${token.virtualAccount.path}, valid until ${when(token.expiresAt)}${token.maxUses ? `, for ${token.maxUses} registrations` : ''}.`),
    h('p', { class: 'hint' }, 'A device registers with it by POST /v1/register on the device listener.'),
    h('div', { class: 'actions' }, done),
  ]);
  done.addEventListener('click', () => dlg.close());
  dlg.el.querySelector<HTMLTextAreaElement>('textarea')?.select();
}
