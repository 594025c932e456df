// Users and roles: list, add (with roles), change roles, set a password (the user then has to
// choose their own), set a user's notification address and settings, delete.
import { del, get, patch, post } from '../api.ts';
import { card } from '../components/card.ts';
import { confirmAction, openDialog } from '../components/dialog.ts';
import { field, form, input, select } from '../components/form.ts';
import { toast } from '../components/notice.ts';
import { pagedList } from '../components/paged-list.ts';
import { badge, table } from '../components/table.ts';
import { vaSelect } from '../components/va-select.ts';
import { loadVas } from '../data.ts';
import { h, mount } from '../dom.ts';
import { relative, when } from '../format.ts';
import { InputError } from '../messages.ts';
import type { PageContext } from '../page.ts';
import type { Session } from '../session.ts';
import type { Grant, Page, Role, User, VirtualAccount } from '../types.ts';
import { MIN_PASSWORD } from './login.ts';
import { notifyFields } from './notifications.ts';
import { sessionsDialog } from './sessions.ts';

export const ROLE_HELP: Record<Role, string> = {
  'sa-admin': 'Everything, account-wide.',
  'sa-approver': 'Edits account properties, sees all users and the event log; no licenses, devices, tokens or reports.',
  'sa-user': 'All license work in every virtual account (tokens, devices, transfers, reservations, reports, sync); no user management.',
  'va-admin': 'License work in its virtual accounts, creates accounts inside them, manages users whose roles are all inside them.',
  'va-user': 'License work in its virtual accounts.',
  viewer: 'Reads what its scope holds; changes nothing.',
};
const ACCOUNT_ONLY: ReadonlySet<Role> = new Set(['sa-admin', 'sa-approver', 'sa-user']);
const VA_ONLY: ReadonlySet<Role> = new Set(['va-admin', 'va-user']);

export async function renderUsers(ctx: PageContext): Promise<void> {
  const { session, signal } = ctx;
  const canWrite = session.canAny('users.write');
  const vas = canWrite ? await loadVas(signal).catch(() => [] as VirtualAccount[]) : [];
  const list = h('div');
  const addBtn = canWrite ? h('button', { type: 'button', class: 'primary', 'data-write': 'true' }, 'Add user') : null;
  addBtn?.addEventListener('click', () => userDialog(session, vas, null, () => void loadList()));
  mount(
    ctx.root,
    h('div', { class: 'toolbar' }, addBtn),
    list,
    card(
      'Roles',
      h(
        'dl',
        { class: 'facts roles-help' },
        ...(Object.keys(ROLE_HELP) as Role[]).flatMap((r) => [h('dt', null, r), h('dd', null, ROLE_HELP[r], VA_ONLY.has(r) ? ' Scoped to a virtual account and everything below it.' : r === 'viewer' ? ' Account-wide or scoped to a virtual account.' : '')]),
      ),
    ),
  );

  const mayManage = (u: User) => canWrite && u.id !== session.me.id && (session.canAccount('users.write') || u.roles.every((g) => g.virtualAccount && session.canIn('users.write', g.virtualAccount)));
  const users = pagedList<User>(list, {
    what: 'users',
    fetch: (cursor) => get<Page<User>>('/api/users', { limit: 50, cursor }, signal),
    render: (items) =>
      table<User>({
        caption: 'Users',
        empty: 'No users.',
        rows: items,
        rowKey: (u) => u.id,
        columns: [
          { label: 'Username', cell: (u) => [h('strong', null, u.username), u.id === session.me.id ? h('span', { class: 'muted' }, ' (you)') : null] },
          { label: 'Roles', cell: (u) => h('span', { class: 'grants' }, ...u.roles.map((g) => h('span', { class: 'tag' }, grantText(g)))) },
          { label: 'Password', cell: (u) => (u.source !== 'local' ? badge(u.source === 'ldap' ? 'from the directory' : 'single sign-on', 'muted') : u.mustChangePassword ? badge('must change at next login', 'warn') : badge('set by the user', 'muted')) },
          { label: 'Notifications', cell: (u) => notifyText(u) },
          { label: 'Created', cell: (u) => h('span', { title: when(u.createdAt) }, relative(u.createdAt)) },
          ...(canWrite
            ? [
                {
                  label: 'Actions',
                  cell: (u: User) =>
                    mayManage(u)
                      ? h(
                          'span',
                          { class: 'row-actions' },
                          u.source === 'local' ? h('button', { type: 'button', class: 'small', 'data-write': 'true', 'aria-label': `Edit the roles of ${u.username}`, onclick: () => userDialog(session, vas, u, () => void loadList()) }, 'Roles…') : null,
                          u.source === 'local' ? h('button', { type: 'button', class: 'small', 'data-write': 'true', 'aria-label': `Set the password of ${u.username}`, onclick: () => passwordDialog(u, () => void loadList()) }, 'Set password…') : null,
                          h('button', { type: 'button', class: 'small', 'data-write': 'true', 'aria-label': `Notifications of ${u.username}`, onclick: () => notifyDialog(u, () => void loadList()) }, 'Notifications…'),
                          h('button', { type: 'button', class: 'small', 'aria-label': `Sessions of ${u.username}`, onclick: () => void sessionsDialog(u, { self: false }) }, 'Sessions…'),
                          h(
                            'button',
                            {
                              type: 'button',
                              class: 'small danger',
                              'data-write': 'true',
                              'aria-label': `Delete ${u.username}`,
                              onclick: () =>
                                void confirmAction({
                                  title: `Delete ${u.username}?`,
                                  text: 'They can no longer log in. Their past actions stay in the event log.',
                                  confirm: 'Delete',
                                  danger: true,
                                  action: async () => {
                                    await del(`/api/users/${encodeURIComponent(u.id)}`);
                                    toast(`${u.username} was deleted.`);
                                    void loadList();
                                  },
                                }),
                            },
                            'Delete',
                          ),
                        )
                      : null,
                },
              ]
            : []),
        ],
      }),
  });
  const loadList = () => users.reload();
  await loadList();
}

const ALERT_LEVEL = { off: 'no alert emails', critical: 'critical alerts', warning: 'warning alerts and up', info: 'every alert' } as const;

/** Where a user's notifications go and what they get, in a few words. */
function notifyText(u: User) {
  if (u.email === null) return h('span', { class: 'muted' }, 'no address');
  const what = [ALERT_LEVEL[u.notifications.alerts], u.notifications.summary ? 'summary' : null].filter(Boolean).join(', ');
  return h('span', { 'data-notify': u.username }, u.email, h('br'), h('span', { class: 'muted' }, what));
}

const grantText = (g: Grant) => (g.virtualAccount ? `${g.role} in ${g.virtualAccount.path}` : g.role);

/** Rows of role + scope; returns the element and a reader of the API's `roles` body. */
function rolesEditor(session: Session, vas: VirtualAccount[], initial: Grant[]) {
  const accountWide = session.canAccount('users.write');
  const roles = (Object.keys(ROLE_HELP) as Role[]).filter((r) => accountWide || !ACCOUNT_ONLY.has(r));
  const manageable = vas.filter((v) => session.canIn('users.write', v));
  const rows = h('div', { class: 'grant-rows' });
  let n = 0;
  const addRow = (g?: Grant) => {
    const i = ++n;
    const role = select(
      roles.map((r) => ({ value: r, label: r })),
      { name: `role-${i}`, id: `grant-role-${i}` },
      g?.role ?? (accountWide ? 'viewer' : 'va-user'),
    );
    const scope = vaSelect(manageable, { selected: g?.virtualAccount?.id ?? null, all: accountWide ? 'Whole account' : undefined, name: `scope-${i}` });
    scope.id = `grant-scope-${i}`;
    const sync = () => {
      const r = role.value as Role;
      scope.disabled = ACCOUNT_ONLY.has(r);
      if (ACCOUNT_ONLY.has(r)) scope.value = '';
      scope.required = VA_ONLY.has(r);
    };
    role.addEventListener('change', sync);
    sync();
    const remove = h('button', { type: 'button', class: 'small', 'aria-label': `Remove role ${i}` }, 'Remove');
    const row = h('div', { class: 'grant-row', 'data-grant': i }, field('Role', role), field('Scope', scope), remove);
    remove.addEventListener('click', () => row.remove());
    rows.appendChild(row);
  };
  for (const g of initial) addRow(g);
  if (initial.length === 0) addRow();
  const add = h('button', { type: 'button', class: 'small' }, 'Add another role');
  add.addEventListener('click', () => addRow());
  const read = () => {
    const out: Array<{ role: Role; virtualAccountId?: string }> = [];
    for (const row of Array.from(rows.querySelectorAll<HTMLElement>('.grant-row'))) {
      const [roleEl, scopeEl] = Array.from(row.querySelectorAll('select'));
      const r = roleEl!.value as Role;
      if (VA_ONLY.has(r) && !scopeEl!.value) throw new InputError(`The role ${r} needs a virtual account.`);
      out.push(ACCOUNT_ONLY.has(r) || !scopeEl!.value ? { role: r } : { role: r, virtualAccountId: scopeEl!.value });
    }
    if (out.length === 0) throw new InputError('Give the user at least one role.');
    return out;
  };
  return { el: h('fieldset', { class: 'grants-editor' }, h('legend', null, 'Roles'), rows, add), read };
}

function userDialog(session: Session, vas: VirtualAccount[], user: User | null, done: () => void): void {
  const editor = rolesEditor(session, vas, user?.roles ?? []);
  const username = input({ name: 'username', required: true, maxlength: 64, autocapitalize: 'none', spellcheck: 'false' });
  const password = input({ name: 'password', type: 'password', required: true, minlength: MIN_PASSWORD, autocomplete: 'new-password' });
  const dlg = openDialog(user ? `Roles of ${user.username}` : 'Add a user', [
    form({
      label: user ? 'Edit roles' : 'Add user',
      submit: user ? 'Save roles' : 'Add user',
      fields: user
        ? [editor.el]
        : [field('Username', username), field('Initial password', password, `At least ${MIN_PASSWORD} characters. The user must choose their own at first login.`), editor.el],
      onSubmit: async () => {
        const roles = editor.read();
        if (user) {
          await patch(`/api/users/${encodeURIComponent(user.id)}`, { roles });
          toast(`The roles of ${user.username} were saved.`);
        } else {
          await post('/api/users', { username: username.value.trim(), password: password.value, roles });
          toast(`${username.value.trim()} was added.`);
        }
        dlg.close();
        done();
      },
    }),
  ], { wide: true });
}

function passwordDialog(user: User, done: () => void): void {
  const pw = input({ name: 'newPassword', type: 'password', required: true, minlength: MIN_PASSWORD, autocomplete: 'new-password' });
  const dlg = openDialog(`Set the password of ${user.username}`, [
    form({
      label: 'Set password',
      submit: 'Set password',
      fields: [field('New password', pw, `At least ${MIN_PASSWORD} characters. ${user.username} must choose their own at the next login.`)],
      onSubmit: async () => {
        await post(`/api/users/${encodeURIComponent(user.id)}/password`, { newPassword: pw.value });
        dlg.close();
        toast(`The password of ${user.username} was set.`);
        done();
      },
    }),
  ]);
}

/**
 * A managed user's address and notification settings (PATCH /api/users/:id). Who may edit whom is
 * the API's to decide: a refusal (a role changed meanwhile, say) shows in the dialog.
 */
function notifyDialog(user: User, done: () => void): void {
  const f = notifyFields(user, { username: user.username });
  const dlg = openDialog(`Notifications of ${user.username}`, [
    form({
      label: 'Notifications',
      submit: 'Save',
      fields: f.fields,
      onSubmit: async () => {
        await patch(`/api/users/${encodeURIComponent(user.id)}`, f.body());
        dlg.close();
        toast(`The notification settings of ${user.username} were saved.`);
        done();
      },
    }),
  ]);
}
