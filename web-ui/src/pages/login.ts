// The login page and the password change (forced at first login, or chosen from the menu).
import { ApiError, get, post } from '../api.ts';
import { field, form, input } from '../components/form.ts';
import { notice } from '../components/notice.ts';
import { h, mount, type Child } from '../dom.ts';
import { InputError } from '../messages.ts';
import type { Me } from '../types.ts';

export const MIN_PASSWORD = 12;

export function renderLogin(root: HTMLElement, opts: { message?: string; onLoggedIn: () => void }): void {
  const username = input({ name: 'username', autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false' });
  const password = input({ name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const f = form({
    label: 'Log in',
    write: false,
    submit: 'Log in',
    busyLabel: 'Logging in…',
    fields: [field('Username', username), field('Password', password)],
    onSubmit: async () => {
      try {
        await post('/api/login', { username: username.value.trim(), password: password.value });
      } catch (err) {
        // A 401 here is a wrong name or password, not a lost session.
        if (err instanceof ApiError && err.status === 401) throw new InputError('The username or password is wrong.');
        throw err;
      }
      opts.onLoggedIn();
    },
  });
  // Single sign-on, when configured: a plain navigation, since the provider's pages are not ours.
  const sso = h('div', { class: 'sso-slot' });
  void get<{ enabled: boolean }>('/api/sso')
    .then((r) => {
      if (r.enabled) mount(sso, h('p', null, h('a', { class: 'button secondary', href: '/api/sso/login', 'data-testid': 'sso-login' }, 'Sign in with SSO')));
    })
    .catch(() => {
      // no SSO button; the password form still works
    });
  mountCard(
    root,
    h('h1', null, 'Outpost'),
    h('p', { class: 'muted' }, 'Smart-licensing satellite — log in to the dashboard.'),
    opts.message ? notice('info', opts.message) : null,
    f,
    sso,
    h('p', { class: 'hint' }, 'First start: the user is admin, and its one-time password is in the file initial-admin-password in the data directory.'),
  );
  username.focus();
}

/** The fields and the call of a password change for oneself. */
export function passwordForm(me: Me, opts: { onChanged: () => void; forced: boolean; extra?: HTMLElement[] }): HTMLFormElement {
  const current = input({ name: 'currentPassword', type: 'password', autocomplete: 'current-password', required: true });
  const next = input({ name: 'newPassword', type: 'password', autocomplete: 'new-password', required: true, minlength: MIN_PASSWORD });
  const again = input({ name: 'confirmPassword', type: 'password', autocomplete: 'new-password', required: true, minlength: MIN_PASSWORD });
  const check = () => again.setCustomValidity(again.value === next.value ? '' : 'The two new passwords differ.');
  next.addEventListener('input', check);
  again.addEventListener('input', check);
  return form({
    label: 'Change password',
    write: false,
    submit: opts.forced ? 'Set new password' : 'Change password',
    busyLabel: 'Saving…',
    fields: [
      field(opts.forced ? 'Current (one-time) password' : 'Current password', current),
      field('New password', next, `At least ${MIN_PASSWORD} characters.`),
      field('New password, again', again),
    ],
    onSubmit: async () => {
      check();
      await post(`/api/users/${encodeURIComponent(me.id)}/password`, { currentPassword: current.value, newPassword: next.value });
      opts.onChanged();
    },
    extra: opts.extra,
  });
}

export function renderForcedPasswordChange(root: HTMLElement, me: Me, opts: { onChanged: () => void; onLogout: () => void }): void {
  const logout = h('button', { type: 'button', class: 'link' }, 'Log out');
  logout.addEventListener('click', opts.onLogout);
  mountCard(
    root,
    h('h1', null, 'Choose a new password'),
    notice('warning', `Welcome, ${me.username}. Your password was set by someone else (or is the one-time password of the first start): choose your own before going on.`),
    passwordForm(me, { forced: true, onChanged: opts.onChanged, extra: [logout] }),
  );
  root.querySelector('input')?.focus();
}

/** The page of one centred card, shown without the navigation (login, forced password change). */
function mountCard(root: HTMLElement, ...children: Child[]): void {
  mount(root, h('main', { class: 'login', id: 'main', tabindex: '-1' }, h('div', { class: 'card login-card' }, ...children)));
}
