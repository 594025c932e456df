// API tokens (SPEC §11), for scripts and automation: create one with a name, roles within one's
// own and an expiry (the secret is shown once), see when each was last used, revoke. A token acts
// with `Authorization: Bearer oat_…` and never does more than its creator may do now.
import { del, get, post } from '../api.ts';
import { card } from '../components/card.ts';
import { codeBox } from '../components/copy.ts';
import { confirmAction, openDialog } from '../components/dialog.ts';
import { field, form, input, select } from '../components/form.ts';
import { notice, toast } from '../components/notice.ts';
import { pagedList } from '../components/paged-list.ts';
import { badge, table } from '../components/table.ts';
import { h, mount } from '../dom.ts';
import { relative, when } from '../format.ts';
import type { PageContext } from '../page.ts';
import type { ApiToken, Page } from '../types.ts';

const roleText = (t: ApiToken) => t.roles.map((r) => (r.virtualAccount ? `${r.role} in ${r.virtualAccount.path}` : r.role)).join(', ');

export async function renderApiTokens(ctx: PageContext): Promise<void> {
  const { session, signal } = ctx;
  const list = h('div', { class: 'api-token-list' });
  const createSlot = h('div');
  mount(ctx.root, createSlot, card('API tokens', list));

  const tokens = pagedList<ApiToken>(list, {
    what: 'API tokens',
    fetch: (cursor) => get<Page<ApiToken>>('/api/api-tokens', { limit: 50, cursor }, signal),
    render: (items) =>
      table<ApiToken>({
        caption: 'API tokens',
        empty: 'No API tokens yet. A script or monitoring system uses one instead of a password.',
        rows: items,
        rowKey: (t) => t.id,
        columns: [
          { label: 'Name', cell: (t) => t.name },
          { label: 'Roles', cell: (t) => roleText(t) },
          { label: 'Created by', cell: (t) => t.createdBy },
          { label: 'Expires', cell: (t) => (Date.parse(t.expiresAt) <= Date.now() ? badge('expired', 'muted') : h('span', { title: when(t.expiresAt) }, when(t.expiresAt))) },
          { label: 'Last used', cell: (t) => (t.lastUsedAt ? h('span', { title: when(t.lastUsedAt) }, relative(t.lastUsedAt)) : h('span', { class: 'muted' }, 'never')) },
          {
            label: 'Actions',
            cell: (t) =>
              h(
                'button',
                {
                  type: 'button',
                  class: 'small danger',
                  'data-write': 'true',
                  'aria-label': `Revoke the API token ${t.name}`,
                  onclick: () =>
                    void confirmAction({
                      title: 'Revoke this API token?',
                      text: `Requests with “${t.name}” are refused from now on.`,
                      confirm: 'Revoke',
                      danger: true,
                      action: async () => {
                        await del(`/api/api-tokens/${encodeURIComponent(t.id)}`);
                        toast('The API token was revoked.');
                        void tokens.reload();
                      },
                    }),
                },
                'Revoke',
              ),
          },
        ],
      }),
  });

  if (session.me.source === 'local') mount(createSlot, createCard(session.me.roles, () => void tokens.reload()));
  else mount(createSlot, notice('info', 'Directory and single sign-on users cannot make API tokens: their rights are known only at login.'));
  await tokens.reload();
}

/** The form offers the caller's own grants: a token can hold those (or fewer), never more. */
function createCard(grants: PageContext['session']['me']['roles'], created: () => void): HTMLElement {
  const name = input({ name: 'name', required: true, maxlength: 128, placeholder: 'e.g. ansible, monitoring' });
  const options = grants.map((g, i) => ({ value: String(i), label: g.virtualAccount ? `${g.role} in ${g.virtualAccount.path}` : g.role }));
  const role = select(options, { name: 'role', required: true });
  const days = input({ name: 'expiresInDays', type: 'number', min: 1, max: 365, step: 1, value: 90, required: true, inputmode: 'numeric' });
  const f = form({
    label: 'Create an API token',
    submit: 'Create API token',
    busyLabel: 'Creating…',
    fields: [h('div', { class: 'row' }, field('Name', name), field('Role', role, 'One of your own roles.'), field('Expires after (days)', days, '1 to 365.'))],
    onSubmit: async () => {
      const g = grants[Number(role.value)]!;
      const body = { name: name.value.trim(), roles: [{ role: g.role, ...(g.virtualAccount ? { virtualAccountId: g.virtualAccount.id } : {}) }], expiresInDays: Number(days.value) };
      const token = await post<ApiToken & { token: string }>('/api/api-tokens', body);
      f.reset();
      showSecret(token);
      created();
    },
  });
  return card('Create an API token', f);
}

/** The secret, once: the satellite keeps only its hash. */
function showSecret(token: ApiToken & { token: string }): void {
  const done = h('button', { type: 'button', class: 'primary' }, 'I have copied it');
  const dlg = openDialog('Your new API token', [
    notice('warning', h('strong', null, 'Copy the token now. '), 'It is shown only this once; the satellite keeps only its hash.'),
    codeBox('API token secret', token.token, { rows: 2, testId: 'api-token-secret' }),
    h('p', null, `${roleText(token)}, valid until ${when(token.expiresAt)}.`),
    h('p', { class: 'hint' }, `Use it as: curl -H "Authorization: Bearer ${token.token.slice(0, 8)}…" ${location.origin}/api/licenses?va=all`),
    h('div', { class: 'actions' }, done),
  ]);
  done.addEventListener('click', () => dlg.close());
  dlg.el.querySelector<HTMLTextAreaElement>('textarea')?.select();
}
