// The shell: who is logged in decides between the login page, the forced password change and
// the dashboard; the hash route (`#/devices?q=…`) picks the page; a banner warns of a lapse.
// A lost session (expired, or the daemon restarted) brings back the login page, over whatever
// was open; the hash route stays, so logging in returns to the same page.
import { ApiError, get, isSessionLost, post, setSessionHooks } from './api.ts';
import { openDialog } from './components/dialog.ts';
import { errorBox, loading, notice, toast } from './components/notice.ts';
import { h, mount } from './dom.ts';
import type { PageContext, PageDef } from './page.ts';
import { passwordForm, renderForcedPasswordChange, renderLogin } from './pages/login.ts';
import { sessionsDialog } from './pages/sessions.ts';
import { PAGES } from './routes.ts';
import { Session } from './session.ts';
import type { Me, Status } from './types.ts';

interface Route {
  path: string;
  params: URLSearchParams;
}

export function parseHash(hash: string): Route | null {
  if (!hash.startsWith('#/')) return null;
  const rest = hash.slice(2);
  const q = rest.indexOf('?');
  return { path: q < 0 ? rest : rest.slice(0, q), params: new URLSearchParams(q < 0 ? '' : rest.slice(q + 1)) };
}

export function hashOf(path: string, params?: Record<string, string | null | undefined>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params ?? {})) if (v !== null && v !== undefined && v !== '') p.set(k, v);
  const s = p.toString();
  return `#/${path}${s ? `?${s}` : ''}`;
}

export class App {
  private session: Session | null = null;
  private status: Status | null = null;
  private pageAbort: AbortController | null = null;
  private currentPath: string | null = null;
  private shell: { nav: HTMLElement; main: HTMLElement; banner: HTMLElement; satName: HTMLElement } | null = null;
  private sessionLostShown = false;

  constructor(private readonly root: HTMLElement) {
    setSessionHooks({
      onUnauthenticated: () => {
        if (this.session && !this.sessionLostShown) {
          this.sessionLostShown = true;
          this.showLogin(sessionEndedMessage());
        }
      },
      onPasswordChangeRequired: () => void this.boot(),
    });
    window.addEventListener('hashchange', () => this.route());
  }

  /** Asks the API who we are and shows what fits. */
  async boot(): Promise<void> {
    this.pageAbort?.abort();
    let me: Me;
    try {
      me = await get<Me>('/api/me');
    } catch (err) {
      // A reload after the session ended: say so when this tab had one.
      if (err instanceof ApiError && (isSessionLost(err) || err.status === 404)) return this.showLogin(tabHadSession() ? sessionEndedMessage() : undefined);
      mount(this.root, h('main', { class: 'login', id: 'main' }, h('div', { class: 'card login-card' }, h('h1', null, 'Outpost'), errorBox(err), retryButton(() => this.boot()))));
      return;
    }
    this.session = new Session(me);
    this.sessionLostShown = false;
    rememberSession(true);
    if (me.mustChangePassword) {
      renderForcedPasswordChange(this.root, me, { onChanged: () => void this.afterPasswordChange(), onLogout: () => void this.logout() });
      return;
    }
    this.renderShell();
    this.refreshStatus();
    this.route(true);
  }

  private async afterPasswordChange(): Promise<void> {
    toast('Your password was changed.');
    await this.boot();
  }

  private showLogin(message?: string): void {
    this.pageAbort?.abort();
    // A modal dialog left open would keep the login form behind it, inert.
    document.querySelectorAll<HTMLDialogElement>('dialog[open]').forEach((dlg) => dlg.close());
    this.session = null;
    this.shell = null;
    this.currentPath = null;
    document.title = 'Log in · Outpost';
    renderLogin(this.root, { message, onLoggedIn: () => void this.boot() });
  }

  private async logout(): Promise<void> {
    try {
      await post('/api/logout');
    } catch {
      // the session may be gone already; the login page is where we go either way
    }
    rememberSession(false);
    this.showLogin('You are logged out.');
  }

  private visiblePages(): PageDef[] {
    const s = this.session;
    return s ? PAGES.filter((p) => s.canAny(p.needs)) : [];
  }

  private renderShell(): void {
    const s = this.session!;
    const nav = h('nav', { class: 'sidenav', 'aria-label': 'Main' });
    const main = h('main', { id: 'main', class: 'content', tabindex: '-1' });
    const banner = h('div', { class: 'banner-slot' });
    const satName = h('span', { class: 'sat-name' });
    const changePw = h('button', { type: 'button', class: 'link' }, 'Change password');
    const logout = h('button', { type: 'button', class: 'link', 'data-testid': 'logout' }, 'Log out');
    const sessionsBtn = h('button', { type: 'button', class: 'link', 'data-testid': 'my-sessions' }, 'Sessions');
    sessionsBtn.addEventListener('click', () => void sessionsDialog({ id: s.me.id, username: s.me.username }, { self: true, onEnded: () => this.showLogin('You signed out everywhere.') }));
    changePw.addEventListener('click', () => {
      const dlg = openDialog('Change your password', [
        passwordForm(s.me, {
          forced: false,
          onChanged: () => {
            dlg.close();
            toast('Your password was changed.');
          },
        }),
      ]);
    });
    logout.addEventListener('click', () => void this.logout());
    mount(
      this.root,
      h(
        'header',
        { class: 'topbar' },
        h('a', { class: 'brand', href: '#/overview' }, h('span', { class: 'logo', 'aria-hidden': 'true' }, '▲'), 'Outpost'),
        satName,
        h('div', { class: 'user' }, h('span', { class: 'who', title: s.roleSummary }, s.me.username, h('span', { class: 'roles' }, ` · ${s.roleSummary}`)), sessionsBtn, s.me.source === 'local' ? changePw : null, logout),
      ),
      banner,
      h('div', { class: 'layout' }, nav, main),
    );
    this.shell = { nav, main, banner, satName };
    this.renderNav();
  }

  private renderNav(): void {
    if (!this.shell) return;
    const open = PAGES.find((p) => p.path === this.currentPath);
    const current = open?.under ?? this.currentPath;
    mount(
      this.shell.nav,
      h(
        'ul',
        null,
        ...this.visiblePages()
          .filter((p) => !p.under)
          .map((p) =>
          h('li', null, h('a', { href: `#/${p.path}`, 'aria-current': p.path === current ? 'page' : null, 'data-page': p.path }, p.title)),
        ),
      ),
    );
  }

  refreshStatus(): void {
    void get<Status>('/api/status')
      .then((st) => {
        this.status = st;
        this.renderBanner();
      })
      .catch(() => {
        // the banner is a courtesy; the overview shows the error itself
      });
  }

  private renderBanner(): void {
    if (!this.shell || !this.status) return;
    const st = this.status;
    this.shell.satName.textContent = st.satellite.name;
    let banner: HTMLElement | null = null;
    if (st.registration === 'lapsed') {
      banner = notice('critical', h('strong', null, 'The satellite’s registration has lapsed. '), 'Its devices are deregistered and device requests are refused. Register it again on the Sync page.');
    } else if (st.daysUntilLapse !== null && st.daysUntilLapse <= 90) {
      const d = st.daysUntilLapse;
      const kind = d <= 7 ? 'critical' : d <= 30 ? 'warning' : 'info';
      banner = notice(
        kind,
        h('strong', null, `The registration lapses in ${d} ${d === 1 ? 'day' : 'days'}. `),
        'Sync with the license cloud (or import a cloud response) before then, or every device will be deregistered.',
      );
    }
    if (banner) banner.setAttribute('data-testid', 'lapse-banner');
    mount(this.shell.banner, banner);
  }

  private route(first = false): void {
    if (!this.session || !this.shell) return;
    const parsed = parseHash(location.hash);
    if (!parsed) {
      // `#main` (the skip link) and empty hashes are not routes
      if (first || !location.hash) location.replace(hashOf('overview'));
      return;
    }
    const pages = this.visiblePages();
    const page = pages.find((p) => p.path === parsed.path);
    const pathChanged = parsed.path !== this.currentPath;
    this.currentPath = parsed.path;
    this.renderNav();
    this.pageAbort?.abort();
    const abort = new AbortController();
    this.pageAbort = abort;
    const main = this.shell.main;
    if (!page) {
      const known = PAGES.find((p) => p.path === parsed.path);
      document.title = 'Not found · Outpost';
      mount(main, h('h1', { tabindex: '-1' }, known ? known.title : 'Not found'), notice('info', known ? 'Your role does not include this page.' : 'There is no such page.'), h('p', null, h('a', { href: '#/overview' }, 'Go to the overview')));
      return;
    }
    document.title = `${page.title} · Outpost`;
    const area = h('div', { class: 'page', 'data-page': page.path });
    mount(main, h('h1', { tabindex: '-1' }, page.title), area);
    if (pathChanged && !first) {
      (main.querySelector('h1') as HTMLElement | null)?.focus();
      this.refreshStatus();
    }
    mount(area, loading());
    const ctx: PageContext = {
      root: area,
      session: this.session,
      params: parsed.params,
      signal: abort.signal,
      navigate: (path, params) => {
        if (abort.signal.aborted) return; // a late callback of a page the user has left
        const next = hashOf(path, params);
        if (next === location.hash) this.route();
        else location.hash = next;
      },
      refreshStatus: () => this.refreshStatus(),
    };
    void page.render(ctx).catch((err: unknown) => {
      if (abort.signal.aborted) return;
      if (err instanceof DOMException && err.name === 'AbortError') return;
      mount(area, errorBox(err, 'This page could not be loaded.'), retryButton(() => this.route()));
    });
  }
}

/** Why the login page is back, and where logging in leads (the hash route is kept). */
function sessionEndedMessage(): string {
  const route = parseHash(location.hash);
  const page = route ? PAGES.find((p) => p.path === route.path) : undefined;
  return `Your session expired, after a while without use or because the satellite restarted. Log in again${page ? ` to return to ${page.title}` : ''}.`;
}

// Whether this tab had a session that ended without logging out, so a reload can say the session
// expired rather than show a bare login form. sessionStorage is per tab and survives reloads.
const HAD_SESSION = 'outpost.hadSession';

function rememberSession(live: boolean): void {
  try {
    if (live) sessionStorage.setItem(HAD_SESSION, '1');
    else sessionStorage.removeItem(HAD_SESSION);
  } catch {
    // storage turned off: the login page just says less
  }
}

function tabHadSession(): boolean {
  try {
    return sessionStorage.getItem(HAD_SESSION) === '1';
  } catch {
    return false;
  }
}

function retryButton(fn: () => void): HTMLButtonElement {
  const b = h('button', { type: 'button' }, 'Try again');
  b.addEventListener('click', fn);
  return b;
}
